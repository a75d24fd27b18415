"""What the service counts and times, for its operators."""

from collections.abc import Mapping
from typing import Protocol

from app.domain.batch_report import BatchReport
from app.ports.service_setup import StreamUsage


class HttpTimings(Protocol):
    """Request durations by route, method and status, in histogram buckets."""

    def observe(self, route: str, method: str, status: int, seconds: float) -> None: ...


class ServiceMetrics(Protocol):
    @property
    def http(self) -> HttpTimings: ...

    def record_batch(self, report: BatchReport, size: int, seconds: float) -> None: ...

    def record_learned(self, count: int) -> None:
        """``count`` orders stored by other instances were announced to this one, and read."""

    def record_announced_ignored(self, reason: str, count: int) -> None:
        """``count`` announced order_uids were ignored for ``reason`` (a malformed announcement counts 1)."""

    def set_consumer_pending(self, count: int) -> None: ...

    def set_stream_usage(self, streams: list[StreamUsage]) -> None:
        """What the streams hold, against their size limits."""

    def set_readiness(self, checks: Mapping[str, bool]) -> None:
        """What ``/readyz`` found: each check, and whether all hold."""

    def exposition(self) -> tuple[bytes, str]:
        """Every metric in the Prometheus text format, and its content type."""

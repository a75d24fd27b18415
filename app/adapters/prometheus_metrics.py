"""ServiceMetrics for Prometheus, in a registry of its own (one per service instance).

Each instance (each worker of ``orders serve --workers N``) counts what it did
itself and says who it is (``orders_instance_info``), so that the instances
behind one address can be told apart.
"""

import contextlib
import os
from collections.abc import Iterator, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.adapters.prometheus_http_timings import PrometheusHttpTimings
from app.domain.announced_uids import IGNORED_REASONS
from app.domain.batch_report import BatchReport
from app.ports.order_cache import OrderCache
from app.ports.service_setup import StreamUsage

BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _CacheCollector(Collector):
    """Reads the cache's own counters at scrape time: nothing extra on the hot path."""

    def __init__(self, cache: OrderCache) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        c = self._cache
        yield GaugeMetricFamily("orders_cache_entries", "Orders held in the cache", value=len(c))
        yield GaugeMetricFamily("orders_cache_capacity", "Most orders the cache holds", value=c.max_orders)
        yield CounterMetricFamily("orders_cache_hits", "Cache lookups that found the order", value=c.hits)
        yield CounterMetricFamily("orders_cache_misses", "Cache lookups that did not", value=c.misses)
        yield CounterMetricFamily("orders_cache_evictions", "Orders evicted as least recently used", value=c.evictions)


class _PageCacheCollector(Collector):
    """How full the cache of rendered order pages is (it takes memory as the order cache does)."""

    def __init__(self, pages: OrderCache) -> None:
        self._pages = pages

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("orders_page_cache_entries", "Rendered order pages held", value=len(self._pages))
        yield GaugeMetricFamily("orders_page_cache_capacity", "Most rendered pages held", value=self._pages.max_orders)


class PrometheusMetrics:
    """Ingest, dead letters, cache, consumer lag, HTTP timings, and which instance this is."""

    def __init__(self, cache: OrderCache, instance: str = "", page_cache: OrderCache | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.instance = Info("orders_instance", "This instance: its announcement origin and process id", registry=r)
        self.instance.info({"instance": instance, "pid": str(os.getpid())})
        self.learned = Counter("orders_learned", "Orders other instances stored and announced", registry=r)
        self.announced_ignored = Counter(
            "orders_announced_ignored",
            "Announced order_uids ignored: malformed (announcements), invalid_uid, unknown, backlog, unavailable",
            ["reason"],
            registry=r,
        )
        for reason in IGNORED_REASONS:  # exported at 0, so that increase() sees the first one
            self.announced_ignored.labels(reason)
        self.ingested = Counter("orders_ingested", "Orders newly stored", registry=r)
        self.duplicates = Counter("orders_duplicates", "Redelivered orders already stored", registry=r)
        self.conflicts = Counter("orders_conflicts", "Same order_uid with different content", registry=r)
        self.dead_lettered = Counter("orders_dead_lettered", "Messages dead-lettered", ["reason"], registry=r)
        self.retried = Counter("orders_retried", "Messages naked for a later retry", registry=r)
        self.batch_size = Histogram(
            "orders_ingest_batch_size", "Messages per fetched batch", buckets=BATCH_BUCKETS, registry=r
        )
        self.batch_seconds = Histogram(
            "orders_ingest_batch_seconds",
            "Time to validate, store and settle a batch",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.pending = Gauge("orders_consumer_pending", "Stream messages not yet delivered to the consumer", registry=r)
        self.stream_bytes = Gauge("orders_stream_bytes", "Bytes a stream holds", ["stream"], registry=r)
        self.stream_max_bytes = Gauge(
            "orders_stream_max_bytes", "A stream's size limit (-1: none)", ["stream"], registry=r
        )
        self.stream_usage = Gauge(
            "orders_stream_usage_ratio",
            "Bytes a stream holds over its size limit (streams with one)",
            ["stream"],
            registry=r,
        )
        self.ready = Gauge("orders_ready", "1 while every readiness check holds, else 0", registry=r)
        self.ready_checks = Gauge("orders_ready_check", "1 while this readiness check holds", ["check"], registry=r)
        self._http = PrometheusHttpTimings(LATENCY_BUCKETS)
        r.register(self._http)
        r.register(_CacheCollector(cache))
        if page_cache is not None:
            r.register(_PageCacheCollector(page_cache))

    @property
    def http(self) -> PrometheusHttpTimings:
        return self._http

    def record_batch(self, report: BatchReport, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)
        if report.stored:
            self.ingested.inc(report.stored)
        if report.duplicates:
            self.duplicates.inc(report.duplicates)
        if report.conflicts:
            self.conflicts.inc(report.conflicts)
        if report.retried:
            self.retried.inc(report.retried)
        for reason, count in report.dead_lettered.items():
            self.dead_lettered.labels(reason).inc(count)

    def record_learned(self, count: int) -> None:
        self.learned.inc(count)

    def record_announced_ignored(self, reason: str, count: int) -> None:
        self.announced_ignored.labels(reason).inc(count)

    def set_consumer_pending(self, count: int) -> None:
        self.pending.set(count)

    def set_stream_usage(self, streams: list[StreamUsage]) -> None:
        for usage in streams:
            self.stream_bytes.labels(usage.stream).set(usage.bytes)
            self.stream_max_bytes.labels(usage.stream).set(usage.max_bytes)
            if usage.max_bytes > 0:
                self.stream_usage.labels(usage.stream).set(usage.bytes / usage.max_bytes)
            else:  # a limit an operator removed: no ratio to alert on
                with contextlib.suppress(KeyError):
                    self.stream_usage.remove(usage.stream)

    def set_readiness(self, checks: Mapping[str, bool]) -> None:
        for check, holds in checks.items():
            self.ready_checks.labels(check).set(1 if holds else 0)
        self.ready.set(1 if all(checks.values()) else 0)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

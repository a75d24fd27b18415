"""Each ingested batch told to the logs and the traces: a handle the batch carries with it."""

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from app.domain.batch_report import BatchReport
from app.ports.order_messages import OrderMessage


class BatchTrace(Protocol):
    def current(self) -> AbstractContextManager[None]:
        """In this task only, while open: the batch's id on each log line, its span the parent of calls."""

    def end(self, report: BatchReport) -> None:
        """Note what the batch came to and end its span."""


class BatchTracer(Protocol):
    def begin(self, messages: Sequence[OrderMessage]) -> BatchTrace:
        """A fetched batch's trace, its span started (when tracing)."""

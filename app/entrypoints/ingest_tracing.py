"""Each ingested batch told to the logs and the traces: the ``BatchTracer`` of the ingest loop.

A batch is named by its first message's stream sequence (``batch_id`` on its log
lines) and, when tracing, gets a consumer span: the child of its producers' trace
when they share one (a single ``POST``), linked at its end to each message whose
order it stored (by ``traceparent`` and ``Nats-Msg-Id``, the order_uid publishers set).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import context, trace

from app.domain.batch_report import BatchReport
from app.entrypoints.logging_setup import batch_id
from app.entrypoints.tracing import Tracing
from app.ports.order_messages import OrderMessage

MSG_ID = "Nats-Msg-Id"


class TracedBatch:
    """One batch's id and, when traced, its span and its messages' contexts by order_uid."""

    def __init__(self, name: str, span: trace.Span | None, contexts: dict[str, context.Context]) -> None:
        self._name = name
        self._span = span
        self._contexts = contexts

    @contextmanager
    def current(self) -> Iterator[None]:
        """Both current in this task alone, reset on exit: the asyncpg calls meanwhile are the span's children."""
        named = batch_id.set(self._name)
        attached = context.attach(trace.set_span_in_context(self._span)) if self._span is not None else None
        try:
            yield
        finally:
            if attached is not None:
                context.detach(attached)
            batch_id.reset(named)

    def end(self, report: BatchReport) -> None:
        span, self._span = self._span, None
        if span is None:
            return
        for order in report.stored_orders:
            linked = self._contexts.get(order.uid)
            if linked is not None:
                span.add_link(trace.get_current_span(linked).get_span_context(), {"order_uid": order.uid})
        span.set_attributes(
            {
                "orders.stored": report.stored,
                "orders.duplicates": report.duplicates,
                "orders.conflicts": report.conflicts,
                "orders.dead_lettered": sum(report.dead_lettered.values()),
                "orders.retried": report.retried,
            }
        )
        if report.storage_unavailable:
            span.set_status(trace.StatusCode.ERROR, "storage unavailable")
        span.end()


class BatchTracing:
    """Begins each fetched batch's ``TracedBatch``."""

    def __init__(self, tracing: Tracing, stream: str) -> None:
        self._tracing = tracing
        self._stream = stream

    def begin(self, messages: Sequence[OrderMessage]) -> TracedBatch:
        name = str(messages[0].stream_sequence)
        if not self._tracing.enabled:
            return TracedBatch(name, None, {})
        contexts: dict[str, context.Context] = {}
        traces = set()
        for message in messages:
            headers = message.headers or {}
            extracted, uid = self._tracing.context_of(headers), headers.get(MSG_ID)
            if extracted is not None and uid is not None:
                contexts.setdefault(uid, extracted)
                traces.add(trace.get_current_span(extracted).get_span_context().trace_id)
        parent = next(iter(contexts.values())) if len(traces) == 1 else context.Context()
        span = self._tracing.tracer.start_span(
            f"process {self._stream}",
            parent,
            trace.SpanKind.CONSUMER,
            {
                "messaging.system": "nats",
                "messaging.operation.type": "process",
                "messaging.destination.name": self._stream,
                "messaging.batch.message_count": len(messages),
                "orders.batch_id": name,
            },
        )
        return TracedBatch(name, span, contexts)

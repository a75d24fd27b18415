"""Each ingested batch, told to the logs and the traces: the ``BatchTracer`` the ingest loop uses.

``begin`` names a fetched batch (``batch_id``: its first message's stream
sequence) and, when tracing, starts its consumer span. The batch carries the
handle: ``current()`` makes both current in the task at hand and resets them on
exit (so nothing crosses tasks), and the asyncpg calls made meanwhile are the
span's children. ``end``, handed the batch's ``OrdersStored`` by the bus, links
the span to the context of every message whose order was stored (their
``traceparent``), notes the outcome and ends it. A batch whose producer spans all
belong to one trace (say, a single ``POST``) is a child of it, so one trace
follows an order from the request to the commit.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import orjson
from opentelemetry import context, trace

from app.domain.batch_report import BatchReport
from app.entrypoints.logging_setup import batch_id
from app.entrypoints.tracing import Tracing
from app.ports.order_messages import OrderMessage

MSG_ID = "Nats-Msg-Id"


def _uid_of(message: OrderMessage, headers: Mapping[str, str]) -> str | None:
    """The order_uid a traced message carries: its message id (as publishers set it), else its body's."""
    if MSG_ID in headers:
        return headers[MSG_ID]
    try:
        uid = orjson.loads(message.data).get("order_uid")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return uid if isinstance(uid, str) else None


class TracedBatch:
    """One batch's id and, when traced, its span and its messages' contexts by order_uid."""

    def __init__(self, name: str, span: trace.Span | None, contexts: dict[str, context.Context]) -> None:
        self._name = name
        self._span = span
        self._contexts = contexts

    @contextmanager
    def current(self) -> Iterator[None]:
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
            extracted = self._tracing.context_of(headers)
            uid = _uid_of(message, headers) if extracted is not None else None
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

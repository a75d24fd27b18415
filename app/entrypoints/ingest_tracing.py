"""Each ingested batch, told to the logs and the traces, from around the ingest loop.

``ObservedOrderSource`` wraps the message source: when a fetch brings messages,
it names the batch (``batch_id``: its first message's stream sequence, on every
log line written while it is ingested) and, when tracing, starts its consumer
span and makes it current. The ingest loop stores the batch in a task it
creates right after the fetch; that task inherits both (context variables), so
the asyncpg calls of the batch are the span's children. ``finish_batch``, called
by ``AfterBatch`` in that task, links the span to the context of every message
whose order was stored (their ``traceparent``), notes the outcome and ends it. A
batch whose producer spans all belong to one trace (say, a single ``POST``) is
a child of it, so one trace follows an order from the request to the commit.
"""

from collections.abc import Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

import orjson
from opentelemetry import context, trace

from app.domain.batch_report import BatchReport
from app.entrypoints.logging_setup import batch_id
from app.entrypoints.tracing import Tracing
from app.ports.order_messages import OrderMessage, OrderMessageSource

MSG_ID = "Nats-Msg-Id"


@dataclass
class BatchSpan:
    span: trace.Span
    contexts: dict[str, context.Context] = field(default_factory=dict)  # by order_uid


current_batch: ContextVar[BatchSpan | None] = ContextVar("current_batch", default=None)


def _uid_of(message: OrderMessage, headers: Mapping[str, str]) -> str | None:
    """The order_uid a traced message carries: its message id (as publishers set it), else its body's."""
    if MSG_ID in headers:
        return headers[MSG_ID]
    try:
        uid = orjson.loads(message.data).get("order_uid")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return uid if isinstance(uid, str) else None


class ObservedOrderSource:
    """An OrderMessageSource that names (and traces) each batch it hands out."""

    def __init__(self, source: OrderMessageSource, tracing: Tracing, stream: str) -> None:
        self._source = source
        self._tracing = tracing
        self._stream = stream
        self._attached: Token[context.Context] | None = None  # the span the last fetch made current

    async def start(self) -> None:
        await self._source.start()

    async def stop(self) -> None:
        await self._source.stop()

    async def pending(self) -> int:
        return await self._source.pending()

    @property
    def connected(self) -> bool:
        return self._source.connected

    async def fetch(self, max_messages: int, timeout: float) -> Sequence[OrderMessage]:
        batch_id.set(None)
        if self._attached is not None:
            context.detach(self._attached)
            self._attached = None
            current_batch.set(None)
        messages = await self._source.fetch(max_messages, timeout)
        if messages:
            batch_id.set(str(messages[0].stream_sequence))
            if self._tracing.enabled:
                self._start_span(messages)
        return messages

    def _start_span(self, messages: Sequence[OrderMessage]) -> None:
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
                "orders.batch_id": batch_id.get() or "",
            },
        )
        current_batch.set(BatchSpan(span, contexts))
        self._attached = context.attach(trace.set_span_in_context(span))


def finish_batch(report: BatchReport) -> None:
    """End the current batch's span (if it is traced), linked to every message whose order it stored."""
    batch = current_batch.get()
    if batch is None:
        return
    current_batch.set(None)
    span = batch.span
    for order in report.stored_orders:
        linked = batch.contexts.get(order.uid)
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

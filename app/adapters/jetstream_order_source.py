"""OrderMessageSource over a JetStream durable pull consumer (nats-py)."""

import asyncio
from collections.abc import Mapping, Sequence

from nats.aio.msg import Msg
from nats.js import JetStreamContext


class JetStreamOrderMessage:
    """One JetStream delivery, seen through the OrderMessage port.

    Made for every message, so it does little: ``data`` and ``ack`` are the nats
    message's own (no wrapper coroutine per ack), the rest is read when asked
    for (subject and headers by dead letters; sequence and delivery count, parsed
    from the reply subject, by dead letters and retries).
    """

    __slots__ = ("_msg", "data", "ack")

    def __init__(self, msg: Msg) -> None:
        self._msg = msg
        self.data: bytes = msg.data
        self.ack = msg.ack

    @property
    def subject(self) -> str:
        return self._msg.subject

    @property
    def headers(self) -> Mapping[str, str]:
        return self._msg.headers or {}

    @property
    def stream_sequence(self) -> int:
        return self._msg.metadata.sequence.stream

    @property
    def delivery_attempt(self) -> int:
        return self._msg.metadata.num_delivered

    async def nak(self, delay: float) -> None:
        await self._msg.nak(delay=delay)

    async def term(self) -> None:
        await self._msg.term()


class JetStreamOrderSource:
    """Fetches batches from the durable consumer made by ``ensure_topology``."""

    def __init__(self, js: JetStreamContext, stream: str, consumer: str) -> None:
        self._js = js
        self._stream = stream
        self._consumer = consumer
        self._subscription: JetStreamContext.PullSubscription | None = None

    async def start(self) -> None:
        self._subscription = await self._js.pull_subscribe_bind(
            durable=self._consumer, stream=self._stream,
        )

    async def fetch(self, max_messages: int, timeout: float) -> Sequence[JetStreamOrderMessage]:
        if self._subscription is None:
            raise RuntimeError("start() the source before fetching")
        try:
            msgs = await self._subscription.fetch(max_messages, timeout=timeout)
        except asyncio.TimeoutError:  # nats-py raises its own subclass, and sometimes the bare one
            return []
        return [JetStreamOrderMessage(m) for m in msgs]

    async def pending(self) -> int:
        """Messages in the stream not yet delivered to this consumer."""
        info = await self._js.consumer_info(self._stream, self._consumer)
        return info.num_pending or 0

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

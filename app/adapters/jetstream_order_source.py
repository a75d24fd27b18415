"""OrderMessageSource over a JetStream durable pull consumer (nats-py)."""

import asyncio
from collections.abc import Mapping, Sequence

from nats.aio.msg import Msg
from nats.js import JetStreamContext


class JetStreamOrderMessage:
    """One JetStream delivery, seen through the OrderMessage port.

    The sequence and delivery count are parsed from the reply subject only
    when asked for (dead letters and retries), not for every message.
    """

    __slots__ = ("_msg", "data", "subject", "headers")

    def __init__(self, msg: Msg) -> None:
        self._msg = msg
        self.data: bytes = msg.data
        self.subject: str = msg.subject
        self.headers: Mapping[str, str] = msg.headers or {}

    @property
    def stream_sequence(self) -> int:
        return self._msg.metadata.sequence.stream

    @property
    def delivery_attempt(self) -> int:
        return self._msg.metadata.num_delivered

    async def ack(self) -> None:
        await self._msg.ack()

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

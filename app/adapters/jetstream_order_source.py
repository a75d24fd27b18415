"""OrderMessageSource over a JetStream durable pull consumer (nats-py)."""

from collections.abc import Sequence

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext


class JetStreamOrderMessage(Msg):
    """A nats-py message that also answers the OrderMessage port's questions.

    The source has the connection build every message as one of these, so no
    wrapper is made per message: ``data``, ``subject``, ``headers``, ``ack``,
    ``nak`` and ``term`` are nats-py's own; the stream sequence and delivery
    count are parsed from the reply subject when asked for (by dead letters
    and retries).
    """

    @property
    def stream_sequence(self) -> int:
        return self.metadata.sequence.stream

    @property
    def delivery_attempt(self) -> int:
        return self.metadata.num_delivered


class JetStreamOrderSource:
    """Fetches batches from the durable consumer made by ``ensure_topology``.

    ``start`` sets the connection's ``msg_class`` (nats-py's hook for the class
    of the messages it builds) to JetStreamOrderMessage; it adds two properties
    to Msg and changes nothing else, so other users of the connection see the
    messages they always did.
    """

    def __init__(self, nc: NATS, stream: str, consumer: str) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._stream = stream
        self._consumer = consumer
        self._subscription: JetStreamContext.PullSubscription | None = None

    async def start(self) -> None:
        self._nc.msg_class = JetStreamOrderMessage
        self._subscription = await self._js.pull_subscribe_bind(
            durable=self._consumer,
            stream=self._stream,
        )

    async def fetch(self, max_messages: int, timeout: float) -> Sequence[JetStreamOrderMessage]:
        if self._subscription is None:
            raise RuntimeError("start() the source before fetching")
        try:
            msgs = await self._subscription.fetch(max_messages, timeout=timeout)
        except TimeoutError:  # nats-py raises its own subclass, and sometimes the bare one
            return []
        return msgs  # type: ignore[return-value]  # JetStreamOrderMessages: see the class docstring

    @property
    def connected(self) -> bool:
        return self._nc.is_connected

    async def pending(self) -> int:
        """Messages in the stream not yet delivered to this consumer."""
        info = await self._js.consumer_info(self._stream, self._consumer)
        return info.num_pending or 0

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

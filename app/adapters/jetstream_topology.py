"""StreamTopology on JetStream: the order stream, the dead-letter stream and the consumer.

nats-py ignores the config passed to ``pull_subscribe`` when the consumer
already exists, so the consumer is added (created or updated) explicitly here
and the source then binds to it by name.
"""

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError


@dataclass(frozen=True)
class JetStreamNames:
    """Where orders come in and where the bad ones go."""

    stream: str = "ORDERS"
    subject: str = "orders.new"
    consumer: str = "order-service"
    dlq_stream: str = "ORDERS_DLQ"
    dlq_subject: str = "orders.dlq"
    duplicate_window: float = 120.0
    ack_wait: float = 30.0
    max_ack_pending: int = 20_000


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        await js.stream_info(config.name or "")
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)


async def ensure_topology(js: JetStreamContext, names: JetStreamNames) -> None:
    """Both streams on file storage, then the consumer with our exact config."""
    await ensure_stream(
        js,
        StreamConfig(
            name=names.stream,
            subjects=[names.subject],
            storage=StorageType.FILE,
            duplicate_window=names.duplicate_window,
        ),
    )
    await ensure_stream(
        js,
        StreamConfig(
            name=names.dlq_stream,
            subjects=[names.dlq_subject],
            storage=StorageType.FILE,
            duplicate_window=names.duplicate_window,
        ),
    )
    await js.add_consumer(
        names.stream,
        ConsumerConfig(
            durable_name=names.consumer,
            filter_subject=names.subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=names.ack_wait,
            max_deliver=-1,  # transient failures are retried forever; bad input is dead-lettered
            max_ack_pending=names.max_ack_pending,
        ),
    )


class JetStreamTopology:
    """The streams and consumer of ``names``, made or brought up to date at every start."""

    def __init__(self, js: JetStreamContext, names: JetStreamNames) -> None:
        self._js = js
        self._names = names

    async def ensure(self) -> None:
        await ensure_topology(self._js, self._names)

"""StreamTopology on JetStream: the order stream, the dead-letter stream and the consumer.

A missing stream is created with the service's settings. An existing one is
only ever raised to what the service needs (``reconciled``): an operator's
replicas, limits and other choices stay as they are, and a stream that already
satisfies the service is not updated at all.

nats-py ignores the config passed to ``pull_subscribe`` when the consumer
already exists, so the consumer is added (created or updated) explicitly here
and the source then binds to it by name.
"""

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from app.ports.service_setup import StreamUsage

log = logging.getLogger(__name__)
ROOM_NEEDED = 0.8  # of a size limit: an existing stream gets ours only while it holds less
_NO_ROOM = 10047  # JetStream's "insufficient storage resources available"


@dataclass(frozen=True)
class StreamLimits:
    """How much a stream keeps: ``max_age`` seconds (0: no limit), ``max_bytes`` (-1: no limit)."""

    max_age: float = 0.0
    max_bytes: int = -1


@dataclass(frozen=True)
class JetStreamNames:
    """Where orders come in and where the bad ones go, and how those streams are kept."""

    stream: str = "ORDERS"
    subject: str = "orders.new"
    consumer: str = "order-service"
    dlq_stream: str = "ORDERS_DLQ"
    dlq_subject: str = "orders.dlq"
    duplicate_window: float = 120.0
    ack_wait: float = 30.0
    max_ack_pending: int = 20_000
    replicas: int = 1
    limits: StreamLimits = field(default_factory=StreamLimits)
    dlq_limits: StreamLimits = field(default_factory=StreamLimits)


def wanted_stream(name: str, subject: str, names: JetStreamNames, limits: StreamLimits) -> StreamConfig:
    """A stream as the service creates it. A full stream refuses new messages (DiscardPolicy.NEW)
    rather than dropping its oldest, which may not have been ingested yet."""
    return StreamConfig(
        name=name,
        subjects=[subject],
        storage=StorageType.FILE,
        num_replicas=names.replicas,
        duplicate_window=names.duplicate_window,
        max_age=limits.max_age,
        max_bytes=limits.max_bytes,
        discard=DiscardPolicy.NEW,
    )


def subject_matches(pattern: str, subject: str) -> bool:
    """Whether a stream subject (``*`` one token, ``>`` the rest) takes ``subject``."""
    tokens, wanted = pattern.split("."), subject.split(".")
    for n, token in enumerate(tokens):
        if token == ">":
            return len(wanted) > n
        if n >= len(wanted) or token not in ("*", wanted[n]):
            return False
    return len(tokens) == len(wanted)


def reconciled(existing: StreamConfig, wanted: StreamConfig, stored_bytes: int = 0) -> StreamConfig | None:
    """``existing`` raised to what the service needs, or None when it needs nothing.

    Only these change: our subject is added if no subject of the stream takes it; replicas and
    the duplicate window are raised to ours if lower; an age or size limit is set to ours only
    where the stream has none, the size limit only if the ``stored_bytes`` the stream holds
    are under ``ROOM_NEEDED`` of it (a stream made full by it would refuse every publish at
    once). Nothing is ever lowered or removed."""
    changes: dict[str, Any] = {}
    subjects = list(existing.subjects or [])
    for subject in wanted.subjects or []:
        if not any(subject_matches(pattern, subject) for pattern in subjects):
            subjects.append(subject)
            changes["subjects"] = subjects
    if (existing.num_replicas or 1) < (wanted.num_replicas or 1):
        changes["num_replicas"] = wanted.num_replicas
    if (existing.duplicate_window or 0) < wanted.duplicate_window:
        changes["duplicate_window"] = wanted.duplicate_window
    if not existing.max_age and wanted.max_age:
        changes["max_age"] = wanted.max_age
    limit = wanted.max_bytes or -1
    if (existing.max_bytes or -1) <= 0 and limit > 0 and stored_bytes < ROOM_NEEDED * limit:
        changes["max_bytes"] = wanted.max_bytes
    return dataclasses.replace(existing, **changes) if changes else None


async def ensure_stream(js: JetStreamContext, wanted: StreamConfig) -> None:
    try:
        info = await js.stream_info(wanted.name or "")
    except NotFoundError:
        try:
            await js.add_stream(wanted)
        except APIError as error:
            if error.err_code != _NO_ROOM or (wanted.max_bytes or -1) <= 0:
                raise
            # The servers cannot reserve the size limit: better a stream without one than no service.
            log.warning("stream %s made without a size limit: %s", wanted.name, error.description)
            await js.add_stream(dataclasses.replace(wanted, max_bytes=-1))
        return
    update = reconciled(info.config, wanted, info.state.bytes)
    if update is None:
        return
    try:
        await js.update_stream(update)
    except APIError as error:
        if error.err_code != _NO_ROOM or update.max_bytes == info.config.max_bytes:
            raise
        # The servers cannot reserve the size limit: the stream keeps none, as before.
        log.warning("stream %s keeps no size limit: %s", wanted.name, error.description)
        without_limit = dataclasses.replace(update, max_bytes=info.config.max_bytes)
        if without_limit != info.config:
            await js.update_stream(without_limit)


async def streams_usage(js: JetStreamContext, names: JetStreamNames) -> list[StreamUsage]:
    """What both streams hold against their size limits (a stream not made yet is left out)."""
    found = []
    for stream in (names.stream, names.dlq_stream):
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            continue
        found.append(StreamUsage(stream, info.state.bytes, info.config.max_bytes or -1))
    return found


async def ensure_topology(js: JetStreamContext, names: JetStreamNames) -> None:
    """Both streams on file storage, then the consumer with our exact config (but for its
    replicas: an existing consumer keeps its own)."""
    await ensure_stream(js, wanted_stream(names.stream, names.subject, names, names.limits))
    await ensure_stream(js, wanted_stream(names.dlq_stream, names.dlq_subject, names, names.dlq_limits))
    try:
        replicas = (await js.consumer_info(names.stream, names.consumer)).config.num_replicas
    except NotFoundError:
        replicas = None  # as the stream's
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
            num_replicas=replicas,
        ),
    )


class JetStreamTopology:
    """The streams and consumer of ``names``, made or brought up to what the service needs at every start."""

    def __init__(self, js: JetStreamContext, names: JetStreamNames) -> None:
        self._js = js
        self._names = names

    async def ensure(self) -> None:
        await ensure_topology(self._js, self._names)

    async def usage(self) -> list[StreamUsage]:
        return await streams_usage(self._js, self._names)

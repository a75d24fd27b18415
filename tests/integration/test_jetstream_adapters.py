"""The JetStream adapters against a real nats-server: topology, publisher, source, dead-letter sink."""

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from app.adapters.jetstream_dead_letter_sink import JetStreamDeadLetterSink
from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.adapters.jetstream_order_source import JetStreamOrderMessage, JetStreamOrderSource
from app.adapters.jetstream_topology import JetStreamNames, ensure_topology
from app.entrypoints.container import Container
from app.ports.order_messages import DeadLetterUnavailable
from tests.servers import isolated_settings


@pytest.fixture
def settings(nats_url: str):
    """Unique stream/subject/consumer names; no database needed here (overrides conftest's)."""
    return isolated_settings(nats_url, "postgresql://unused", duplicate_window_seconds=45)


@pytest.fixture
def names(settings) -> JetStreamNames:
    names: JetStreamNames = Container(settings=settings).names()
    return names


@pytest.fixture
def js(nc: nats.NATS) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture
async def source(nc: nats.NATS, js: JetStreamContext, names: JetStreamNames) -> AsyncIterator[JetStreamOrderSource]:
    await ensure_topology(js, names)
    src = JetStreamOrderSource(nc, names.stream, names.consumer)
    await src.start()
    yield src
    await src.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 3.0) -> None:
    """Acks are fire-and-forget and consumer counts lag a little: poll until the server agrees."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def pending_is(source: JetStreamOrderSource, expected: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await source.pending() == expected

    return check


async def publish_many(js: JetStreamContext, subject: str, count: int) -> None:
    for i in range(1, count + 1):
        await js.publish(subject, f"order-{i}".encode(), headers={"Nats-Msg-Id": f"id-{i}", "X-Trace": f"trace-{i}"})


# --- topology ---------------------------------------------------------------------------------


async def assert_topology(js: JetStreamContext, names: JetStreamNames) -> None:
    for stream, subject in ((names.stream, names.subject), (names.dlq_stream, names.dlq_subject)):
        config = (await js.stream_info(stream)).config
        assert config.storage == StorageType.FILE
        assert config.subjects == [subject]
        assert config.duplicate_window == pytest.approx(45.0)
    consumer = (await js.consumer_info(names.stream, names.consumer)).config
    assert consumer.durable_name == names.consumer
    assert consumer.ack_policy == AckPolicy.EXPLICIT
    assert consumer.deliver_policy == DeliverPolicy.ALL
    assert consumer.max_deliver == -1
    assert consumer.filter_subject == names.subject
    assert consumer.ack_wait == pytest.approx(names.ack_wait)
    assert consumer.max_ack_pending == names.max_ack_pending


async def test_ensure_topology_creates_streams_and_consumer(js: JetStreamContext, names: JetStreamNames) -> None:
    await ensure_topology(js, names)
    await assert_topology(js, names)


async def test_ensure_topology_twice_keeps_messages(js: JetStreamContext, names: JetStreamNames) -> None:
    await ensure_topology(js, names)
    await js.publish(names.subject, b"kept")
    await ensure_topology(js, names)
    await assert_topology(js, names)
    assert (await js.stream_info(names.stream)).state.messages == 1
    assert (await js.consumer_info(names.stream, names.consumer)).num_pending == 1


async def test_ensure_topology_updates_existing_stream_and_consumer(
    js: JetStreamContext,
    names: JetStreamNames,
) -> None:
    await js.add_stream(
        StreamConfig(name=names.stream, subjects=[names.subject], storage=StorageType.FILE, duplicate_window=10)
    )
    await js.add_consumer(
        names.stream,
        ConsumerConfig(
            durable_name=names.consumer,
            filter_subject=names.subject,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=5,
            max_ack_pending=10,
            max_deliver=3,
        ),
    )
    before = (await js.consumer_info(names.stream, names.consumer)).config
    assert (before.ack_wait, before.max_ack_pending, before.max_deliver) == (5, 10, 3)

    await ensure_topology(js, names)

    await assert_topology(js, names)  # ack_wait 30, max_ack_pending 20000, max_deliver -1, window 45


# --- publisher --------------------------------------------------------------------------------


async def test_publisher_dedupes_by_msg_id(nc: nats.NATS, js: JetStreamContext, names: JetStreamNames) -> None:
    await ensure_topology(js, names)
    publisher = JetStreamOrderPublisher(nc, names.subject, timeout=2)

    assert await publisher.publish(b'{"order_uid": "a"}', "uid-a") is True
    assert await publisher.publish(b'{"order_uid": "a"}', "uid-a") is False

    assert (await js.stream_info(names.stream)).state.messages == 1


# --- source -----------------------------------------------------------------------------------


async def test_fetch_on_empty_stream_returns_nothing_within_timeout(source: JetStreamOrderSource) -> None:
    started = time.monotonic()
    assert await source.fetch(10, timeout=0.5) == []
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 1.5  # waits for messages (no hot loop) but not much past the timeout


async def test_fetch_returns_empty_on_the_clients_bare_timeout_error(
    source: JetStreamOrderSource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # nats-py 2.16 (js/client.py, PullSubscription._fetch_n) raises a bare asyncio.TimeoutError,
    # not nats.errors.TimeoutError, when its no-wait probe uses up the deadline on an empty
    # stream. That race hits the test above now and then; here it is forced.
    async def bare_timeout(subscription: object, batch: int, timeout: float) -> list[object]:
        raise TimeoutError

    monkeypatch.setattr(JetStreamContext.PullSubscription, "fetch", bare_timeout)
    assert await source.fetch(10, timeout=0.1) == []


async def test_fetch_ack_and_pending(
    js: JetStreamContext,
    names: JetStreamNames,
    source: JetStreamOrderSource,
) -> None:
    await publish_many(js, names.subject, 25)
    await eventually(pending_is(source, 25))  # the server counts new messages asynchronously

    batch = await source.fetch(10, timeout=2)

    assert len(batch) == 10
    assert all(isinstance(m, JetStreamOrderMessage) for m in batch)
    assert [m.stream_sequence for m in batch] == list(range(1, 11))
    assert [m.data for m in batch] == [f"order-{i}".encode() for i in range(1, 11)]
    assert {m.subject for m in batch} == {names.subject}
    assert [(m.headers or {})["X-Trace"] for m in batch] == [f"trace-{i}" for i in range(1, 11)]
    assert [(m.headers or {})["Nats-Msg-Id"] for m in batch] == [f"id-{i}" for i in range(1, 11)]
    assert {m.delivery_attempt for m in batch} == {1}
    await eventually(pending_is(source, 15))

    info = await js.consumer_info(names.stream, names.consumer)
    assert info.num_ack_pending == 10
    for m in batch:
        await m.ack()

    async def acked() -> bool:
        info = await js.consumer_info(names.stream, names.consumer)
        return info.num_ack_pending == 0 and info.ack_floor.stream_seq == 10

    await eventually(acked)
    assert await source.pending() == 15  # acking does not touch the undelivered ones


async def test_nak_with_delay_redelivers_after_the_delay(
    js: JetStreamContext,
    names: JetStreamNames,
    source: JetStreamOrderSource,
) -> None:
    await js.publish(names.subject, b"retry me")
    [first] = await source.fetch(1, timeout=2)
    assert first.delivery_attempt == 1

    await first.nak(delay=0.2)
    nakked_at = time.monotonic()
    assert await source.fetch(1, timeout=0.1) == []  # not redelivered at once

    [again] = await source.fetch(1, timeout=2)
    assert time.monotonic() - nakked_at >= 0.18
    assert again.stream_sequence == first.stream_sequence
    assert again.data == b"retry me"
    assert again.delivery_attempt == 2
    await again.ack()


async def test_term_is_never_redelivered(
    nc: nats.NATS,
    js: JetStreamContext,
    settings,
    names: JetStreamNames,
) -> None:
    # A short ack_wait makes the unacked control message come back, proving that
    # redelivery would happen within the window if term() did not stop it.
    names = dataclasses.replace(names, ack_wait=0.5)
    await ensure_topology(js, names)
    src = JetStreamOrderSource(nc, names.stream, names.consumer)
    await src.start()
    try:
        await js.publish(names.subject, b"terminate me")
        await js.publish(names.subject, b"forget to ack me")
        termed, unacked = await src.fetch(2, timeout=2)
        await termed.term()

        redelivered: list[JetStreamOrderMessage] = []
        deadline = time.monotonic() + 1.2
        while (left := deadline - time.monotonic()) > 0:
            redelivered += await src.fetch(10, timeout=left)

        sequences = [m.stream_sequence for m in redelivered]
        assert unacked.stream_sequence in sequences
        assert termed.stream_sequence not in sequences
    finally:
        await src.stop()


async def test_fetch_before_start_raises(nc: nats.NATS, js: JetStreamContext, names: JetStreamNames) -> None:
    await ensure_topology(js, names)
    with pytest.raises(RuntimeError):
        await JetStreamOrderSource(nc, names.stream, names.consumer).fetch(1, timeout=0.1)


async def test_stop_unsubscribes_and_keeps_the_durable(
    nc: nats.NATS,
    js: JetStreamContext,
    names: JetStreamNames,
) -> None:
    await ensure_topology(js, names)
    src = JetStreamOrderSource(nc, names.stream, names.consumer)
    await src.start()
    await src.stop()
    await src.stop()  # idempotent

    with pytest.raises(RuntimeError):
        await src.fetch(1, timeout=0.1)
    # the durable consumer outlives the subscription: a restart resumes where it left off
    assert (await js.consumer_info(names.stream, names.consumer)).name == names.consumer


# --- dead-letter sink -------------------------------------------------------------------------


async def test_dead_letter_keeps_bytes_and_adds_headers(
    nc: nats.NATS,
    js: JetStreamContext,
    names: JetStreamNames,
    source: JetStreamOrderSource,
) -> None:
    await js.publish(names.subject, b"first, fine")
    body = b'{"order_uid": broken\n'
    await js.publish(names.subject, body, headers={"Nats-Msg-Id": "orig-7", "X-Custom": "keep me"})
    [_, message] = await source.fetch(2, timeout=2)
    assert message.stream_sequence == 2
    sink = JetStreamDeadLetterSink(nc, names.dlq_stream, names.dlq_subject, names.stream, timeout=2)

    await sink.dead_letter(message, "invalid JSON\n  at line 1\r\n\tcolumn 17", "invalid", "uid\r\n1")

    dead = await js.get_msg(names.dlq_stream, 1)
    assert dead.data == body and dead.headers is not None
    assert dead.headers["Orders-Error"] == "invalid JSON at line 1 column 17"
    assert dead.headers["Orders-Error-Kind"] == "invalid"
    assert dead.headers["Orders-Order-Uid"] == "uid 1"
    assert dead.headers["Orders-Deliveries"] == "1"
    assert dead.headers["Orders-Stream-Sequence"] == "2"
    assert dead.headers["Orders-Subject"] == names.subject
    assert dead.headers["Orders-Original-Msg-Id"] == "orig-7"
    assert dead.headers["X-Custom"] == "keep me"
    assert dead.headers["Nats-Msg-Id"] != "orig-7"


async def test_dead_letter_twice_is_stored_once(
    nc: nats.NATS,
    js: JetStreamContext,
    names: JetStreamNames,
    source: JetStreamOrderSource,
) -> None:
    await js.publish(names.subject, b"bad one")
    await js.publish(names.subject, b"bad two")
    one, two = await source.fetch(2, timeout=2)
    sink = JetStreamDeadLetterSink(nc, names.dlq_stream, names.dlq_subject, names.stream, timeout=2)

    await sink.dead_letter(one, "boom", "unexpected", None)
    await sink.dead_letter(one, "boom again", "unexpected", None)  # e.g. a retry after a crash before the ack
    assert (await js.stream_info(names.dlq_stream)).state.messages == 1

    await sink.dead_letter(two, "boom", "unexpected", None)  # a different message is its own dead letter
    assert (await js.stream_info(names.dlq_stream)).state.messages == 2


async def test_dead_letter_without_dlq_stream_raises_unavailable(
    nc: nats.NATS,
    js: JetStreamContext,
    names: JetStreamNames,
    source: JetStreamOrderSource,
) -> None:
    await js.publish(names.subject, b"nowhere to go")
    [message] = await source.fetch(1, timeout=2)
    sink = JetStreamDeadLetterSink(nc, names.dlq_stream, f"nobody_{uuid.uuid4().hex[:8]}.dlq", names.stream, timeout=1)

    started = time.monotonic()
    with pytest.raises(DeadLetterUnavailable):
        await sink.dead_letter(message, "bad", "invalid", None)
    assert time.monotonic() - started < 2.0

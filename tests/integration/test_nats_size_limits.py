"""Messages at the edges of what NATS takes: the server's max_payload and JetStream's header limit.

A server with ``max_payload: 64 KiB`` keeps these fast; the header limit (65,535 bytes of
header block) is tried on the session's server, whose max_payload is the default 1 MiB.
After each case the connection must still be up: a message over max_payload with its
headers makes the server close it.
"""

import json
import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.msg import Msg

from app.adapters.jetstream_dead_letter_fit import TRUNCATED_HEADER
from app.adapters.jetstream_dead_letter_sink import JetStreamDeadLetterSink
from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.adapters.jetstream_order_source import JetStreamOrderSource
from app.adapters.jetstream_topology import JetStreamNames, ensure_topology
from app.adapters.nats_message_size import HEADER_LIMIT, header_line_size, header_size, message_size
from app.adapters.nats_order_announcements import MAX_BODY, ORIGIN_HEADER, NatsOrderAnnouncer, Peers
from app.domain.document import SerializedOrder
from app.entrypoints.container import Container
from app.ports.order_messages import DeadLetterUnavailable
from app.ports.order_publisher import MessageTooLarge
from tests.e2e.helpers import eventually
from tests.serialized_orders import generated, ser
from tests.servers import isolated_settings


@pytest.fixture(params=["small", "default"])
async def nc(request: pytest.FixtureRequest, small_nats_url: str, nats_url: str) -> AsyncIterator[nats.NATS]:
    """A connection to the 64 KiB server, then to the session's 1 MiB one."""
    client = await nats.connect(small_nats_url if request.param == "small" else nats_url)
    yield client
    assert client.is_connected, "the server closed the connection"
    await client.close()


@pytest.fixture
async def names(nc: nats.NATS) -> JetStreamNames:
    names: JetStreamNames = Container(settings=isolated_settings("nats://unused", "postgresql://unused")).names()
    await ensure_topology(nc.jetstream(), names)
    return names


@pytest.fixture
async def source(nc: nats.NATS, names: JetStreamNames) -> AsyncIterator[JetStreamOrderSource]:
    src = JetStreamOrderSource(nc, names.stream, names.consumer)
    await src.start()
    yield src
    await src.stop()


def sink_for(nc: nats.NATS, names: JetStreamNames) -> JetStreamDeadLetterSink:
    return JetStreamDeadLetterSink(nc, names.dlq_stream, names.dlq_subject, names.stream, timeout=5)


@pytest.mark.parametrize("over", [-1, 0, 1])
async def test_an_order_is_published_up_to_max_payload_with_its_headers(
    nc: nats.NATS, names: JetStreamNames, over: int
) -> None:
    js = nc.jetstream()
    publisher = JetStreamOrderPublisher(nc, names.subject, timeout=5)
    uid = uuid.uuid4().hex
    limit = nc.max_payload - header_size({"Nats-Msg-Id": uid})
    body = b"x" * (limit + over)

    if over > 0:
        with pytest.raises(MessageTooLarge) as refused:
            await publisher.publish(body, uid)
        assert refused.value.limit == limit and refused.value.size == limit + 1
        assert (await js.stream_info(names.stream)).state.messages == 0
    else:
        assert await publisher.publish(body, uid) is True
        assert (await js.get_msg(names.stream, 1)).data == body

    assert await publisher.publish(b"{}", "next-" + uid) is True  # the connection still publishes


@pytest.mark.parametrize("short_of", [0, 1, 100])
async def test_an_invalid_message_up_to_max_payload_is_dead_lettered_cut_to_fit(
    nc: nats.NATS, names: JetStreamNames, source: JetStreamOrderSource, short_of: int
) -> None:
    js = nc.jetstream()
    headers = {"Nats-Msg-Id": "big-1", "X-Producer": "edge test"}
    body = bytes(range(256)) * (nc.max_payload // 256)
    body = body[: nc.max_payload - header_size(headers) - short_of]
    await js.publish(names.subject, body, headers=headers)
    [message] = await source.fetch(1, timeout=5)

    await sink_for(nc, names).dead_letter(message, "not valid JSON", "invalid", None)
    await message.term()

    dead = await js.get_msg(names.dlq_stream, 1)
    assert dead.headers is not None and dead.data is not None
    assert dead.headers["Orders-Error"] == "not valid JSON"
    assert dead.headers["Orders-Stream-Sequence"] == "1"
    assert dead.headers["Orders-Original-Msg-Id"] == "big-1"
    assert dead.headers["X-Producer"] == "edge test"
    assert body.startswith(dead.data) and len(dead.data) < len(body)
    assert dead.headers[TRUNCATED_HEADER].startswith(f"data cut to its first {len(dead.data)} of {len(body)} bytes")
    assert message_size(dead.data, dead.headers) <= nc.max_payload
    # The original, whole, is still where the dead letter says.
    assert (await js.get_msg(names.stream, int(dead.headers["Orders-Stream-Sequence"]))).data == body


async def test_a_small_invalid_message_is_dead_lettered_whole(
    nc: nats.NATS, names: JetStreamNames, source: JetStreamOrderSource
) -> None:
    js = nc.jetstream()
    await js.publish(names.subject, b"{broken", headers={"X-Keep": "me"})
    [message] = await source.fetch(1, timeout=5)

    await sink_for(nc, names).dead_letter(message, "not valid JSON", "invalid", None)

    dead = await js.get_msg(names.dlq_stream, 1)
    assert dead.data == b"{broken" and dead.headers is not None
    assert dead.headers["X-Keep"] == "me" and TRUNCATED_HEADER not in dead.headers


@pytest.mark.parametrize("short_of", [0, 1, 200])
async def test_headers_near_the_header_limit_are_trimmed_and_the_letter_stored(
    nc: nats.NATS, names: JetStreamNames, source: JetStreamOrderSource, short_of: int
) -> None:
    """Headers as large as JetStream stores (65,535 bytes of block, less ``short_of``)."""
    js = nc.jetstream()
    body = b'{"order_uid": 1}'
    room = min(HEADER_LIMIT, nc.max_payload - len(body)) - short_of
    headers = {"X-Small": "kept", "X-Big": ""}
    headers["X-Big"] = "b" * (room - header_size(headers))
    assert header_size(headers) == room
    await js.publish(names.subject, body, headers=headers)
    [message] = await source.fetch(1, timeout=5)

    await sink_for(nc, names).dead_letter(message, "invalid: order_uid must be a string", "invalid", None)

    dead = await js.get_msg(names.dlq_stream, 1)
    assert dead.headers is not None
    assert dead.data == body  # the bytes kept whole: only headers were too many
    assert dead.headers["X-Small"] == "kept" and "X-Big" not in dead.headers
    assert dead.headers[TRUNCATED_HEADER].startswith("1 of the original's headers left out")
    assert header_size(dead.headers) <= HEADER_LIMIT


async def test_many_headers_are_kept_while_they_fit(
    nc: nats.NATS, names: JetStreamNames, source: JetStreamOrderSource
) -> None:
    js = nc.jetstream()
    count = (min(HEADER_LIMIT, nc.max_payload - 2) - header_size({})) // header_line_size("X-H0000", "v" * 100)
    headers = {f"X-H{n:04d}": "v" * 100 for n in range(count)}  # as many as the original can have
    await js.publish(names.subject, b"[]", headers=headers)
    [message] = await source.fetch(1, timeout=5)

    await sink_for(nc, names).dead_letter(message, "not an object", "invalid", None)

    dead = await js.get_msg(names.dlq_stream, 1)
    assert dead.headers is not None and dead.data == b"[]"
    kept = [key for key in headers if key in dead.headers]
    assert kept == list(headers)[: len(kept)] and 0 < len(kept) < len(headers)
    assert dead.headers[TRUNCATED_HEADER].startswith(f"{len(headers) - len(kept)} of the original's headers left out")
    assert message_size(dead.data, dead.headers) <= nc.max_payload


async def test_a_dead_letter_is_cut_to_the_dead_letter_streams_own_message_limit(
    nc: nats.NATS, names: JetStreamNames, source: JetStreamOrderSource
) -> None:
    js = nc.jetstream()
    config = (await js.stream_info(names.dlq_stream)).config
    config.max_msg_size = 2000
    await js.update_stream(config)
    body = b"{" + b"z" * 5000
    await js.publish(names.subject, body)
    [message] = await source.fetch(1, timeout=5)

    await sink_for(nc, names).dead_letter(message, "not valid JSON", "invalid", None)

    dead = await js.get_msg(names.dlq_stream, 1)
    assert dead.headers is not None and dead.data is not None
    assert body.startswith(dead.data) and message_size(dead.data, dead.headers) <= 2000
    assert dead.headers[TRUNCATED_HEADER].startswith(f"data cut to its first {len(dead.data)} of {len(body)} bytes")


async def test_a_stream_refusal_of_the_dead_letter_is_logged(
    nc: nats.NATS, names: JetStreamNames, source: JetStreamOrderSource, caplog: pytest.LogCaptureFixture
) -> None:
    """A refusal that would come again each time (here: the DLQ stream takes messages of 100 bytes at
    most) is a WARNING that names it, not a silent retry."""
    js = nc.jetstream()
    config = (await js.stream_info(names.dlq_stream)).config
    config.max_msg_size = 100
    await js.update_stream(config)
    await js.publish(names.subject, b"{broken")
    [message] = await source.fetch(1, timeout=5)

    with pytest.raises(DeadLetterUnavailable):
        await sink_for(nc, names).dead_letter(message, "not valid JSON", "invalid", None)
    [warning] = [r for r in caplog.records if "refused" in r.getMessage()]
    assert warning.levelname == "WARNING" and "message size exceeds maximum" in warning.getMessage()


async def test_announcements_stay_within_max_payload_with_their_header(nc: nats.NATS, nats_url: str) -> None:
    """1000 uids at their longest are 67 KB, more than a 64 KiB server takes: the announcer splits
    them into bodies that fit with the Orders-Origin header, every uid arrives, the link stays up."""
    subject = f"orders_{uuid.uuid4().hex[:8]}.stored"
    bodies: list[bytes] = []

    async def seen(msg: Msg) -> None:
        bodies.append(msg.data)

    listener = await nats.connect(nc.connected_url.geturl() if nc.connected_url else nats_url)
    try:
        await listener.subscribe(subject, cb=seen)
        await listener.flush()
        peers = Peers()
        peers.heard("instance-b")
        announcer = NatsOrderAnnouncer(nc, subject, origin="instance-a", peers=peers)
        room = min(MAX_BODY, nc.max_payload - header_size({ORIGIN_HEADER: "instance-a"}))
        order = ser(generated(1, seed=3)[0])
        uids = [f"{n:064d}" for n in range(1000)]
        announcer.announce([SerializedOrder(order.order, order.json, uid) for uid in uids])
        await announcer.flush()
        await nc.flush()
        await eventually(lambda: _true(sum(body.count(b",") + 1 for body in bodies) == len(uids)), 5, "every uid")

        assert all(len(body) <= room for body in bodies)
        assert [uid for body in bodies for uid in json.loads(body)] == uids
        assert nc.is_connected
    finally:
        await listener.close()


async def _true(value: bool) -> bool:
    return value

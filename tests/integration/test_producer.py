"""The producer against a real JetStream: counts, dedupe, printed uids, pacing, file input."""

import io
import json
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import orjson
import pytest
import pytest_asyncio
from nats.js import JetStreamContext

from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.domain.validation import InvalidOrder, parse_order
from app.embedded.nats_server_process import NatsServerProcess
from app.entrypoints.producer import produce
from app.entrypoints.producer_messages import Message, file_messages, generated_messages
from app.ports.order_publisher import PublishFailed
from tests.sample_order import SAMPLE_PATH

pytestmark = pytest.mark.asyncio
SAMPLE = SAMPLE_PATH
SUBJECT = "orders.new"


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = NatsServerProcess(tmp_path_factory.mktemp("nats") / "store")
    server.start()
    assert not server.url.endswith(":4222")
    try:
        yield server.url
    finally:
        server.stop()


@pytest_asyncio.fixture
async def js(nc: nats.NATS) -> AsyncIterator[JetStreamContext]:
    """A fresh ORDERS stream on orders.> for each test, with a 2-minute dedupe window."""
    js = nc.jetstream()
    await js.add_stream(name="ORDERS", subjects=["orders.>"], duplicate_window=120)
    try:
        yield js
    finally:
        await js.delete_stream("ORDERS")


async def stored_bodies(js: JetStreamContext) -> list[bytes]:
    info = await js.stream_info("ORDERS")
    return [(await js.get_msg("ORDERS", seq)).data or b"" for seq in range(1, info.state.messages + 1)]


def expected_stored(messages: list[Message]) -> list[bytes]:
    """What the stream keeps: every message without an id, and the first of each id."""
    seen: set[str] = set()
    kept = []
    for body, msg_id in messages:
        if msg_id is None or msg_id not in seen:
            kept.append(body)
        if msg_id is not None:
            seen.add(msg_id)
    return kept


def is_valid(body: bytes) -> bool:
    try:
        parse_order(body)
    except InvalidOrder:
        return False
    return True


class InFlight:
    """A real publisher wrapper that records how many publishes overlap."""

    def __init__(self, inner: JetStreamOrderPublisher) -> None:
        self.inner, self.now, self.most = inner, 0, 0

    async def publish(self, body: bytes, msg_id: str | None) -> bool:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await self.inner.publish(body, msg_id)
        finally:
            self.now -= 1


async def test_generated_mix_is_stored_deduplicated_and_printed(nc: nats.NATS, js: JetStreamContext) -> None:
    messages = list(generated_messages(600, invalid_ratio=0.15, duplicate_ratio=0.15, seed=7))
    kept = expected_stored(messages)
    out = io.StringIO()
    publisher = InFlight(JetStreamOrderPublisher(nc, SUBJECT))

    report = await produce(publisher, messages, concurrency=64, progress=False, out=out)

    assert (report.published, report.duplicates, report.failed) == (len(kept), len(messages) - len(kept), 0)
    assert report.duplicates > 30  # ~15 % re-sends
    assert Counter(await stored_bodies(js)) == Counter(kept)
    assert Counter(out.getvalue().splitlines()) == Counter(m for _, m in messages if m is not None)
    assert 1 < publisher.most <= 64
    invalid = [body for body, _ in messages if not is_valid(body)]
    assert 40 <= len(invalid) <= 150  # ~15 % of 600


async def test_valid_and_invalid_generated_messages(nc: nats.NATS, js: JetStreamContext) -> None:
    valid = list(generated_messages(300, seed=1))
    assert all(msg_id == parse_order(body).order_uid for body, msg_id in valid)
    invalid = list(generated_messages(90, invalid_ratio=1.0, seed=2))
    assert not any(is_valid(body) for body, _ in invalid)
    assert sum(msg_id is None for _, msg_id in invalid) >= 20  # not JSON, arrays, missing uid...
    report = await produce(JetStreamOrderPublisher(nc, SUBJECT), valid + invalid, out=io.StringIO())
    assert report.failed == 0
    assert report.published + report.duplicates == 390


async def test_resending_the_same_orders_is_reported_as_duplicates(nc: nats.NATS, js: JetStreamContext) -> None:
    messages = list(generated_messages(120, seed=3))
    publisher = JetStreamOrderPublisher(nc, SUBJECT)
    first = await produce(publisher, messages, out=io.StringIO())
    out = io.StringIO()
    again = await produce(publisher, iter(messages), out=out)
    assert (first.published, first.duplicates) == (120, 0)
    assert (again.published, again.duplicates, again.failed) == (0, 120, 0)
    assert out.getvalue().splitlines() and set(out.getvalue().splitlines()) == {m for _, m in messages}
    assert (await js.stream_info("ORDERS")).state.messages == 120
    assert await publisher.publish(messages[0][0], messages[0][1]) is False


async def test_rate_is_honoured(nc: nats.NATS, js: JetStreamContext) -> None:
    started = time.monotonic()
    report = await produce(
        JetStreamOrderPublisher(nc, SUBJECT), generated_messages(50, seed=4), rate=100, out=io.StringIO()
    )
    assert time.monotonic() - started >= 0.4
    assert report.published == 50


async def test_async_source_and_progress_bar(
    nc: nats.NATS, js: JetStreamContext, capsys: pytest.CaptureFixture[str]
) -> None:
    async def source() -> AsyncIterator[Message]:
        for message in generated_messages(150, seed=5):
            yield message

    report = await produce(JetStreamOrderPublisher(nc, SUBJECT), source(), progress=True, out=io.StringIO())
    assert report.published == 150
    assert "150" in capsys.readouterr().err


async def test_unacknowledged_publishes_fail_after_retries(nc: nats.NATS, js: JetStreamContext) -> None:
    publisher = JetStreamOrderPublisher(nc, "nobody.listens", timeout=1.0)
    with pytest.raises(PublishFailed):
        await publisher.publish(b"{}", "x1")
    out = io.StringIO()
    started = time.monotonic()
    report = await produce(publisher, [(b"{}", "a"), (b"{}", None)], out=out)
    assert (report.published, report.duplicates, report.failed) == (0, 0, 2)
    assert time.monotonic() - started >= 0.5  # two backoffs: 0.2 s + 0.4 s
    assert out.getvalue() == ""


async def test_bad_message_id_fails_alone_and_source_errors_propagate(nc: nats.NATS, js: JetStreamContext) -> None:
    publisher = JetStreamOrderPublisher(nc, SUBJECT)
    report = await produce(publisher, [(b"{}", "bad\r\nid"), (b"{}", "good")], out=io.StringIO())
    assert (report.published, report.failed) == (1, 1)

    def broken_source() -> Iterator[Message]:
        yield from generated_messages(20, seed=8)
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await produce(publisher, broken_source(), out=io.StringIO())
    assert (await js.stream_info("ORDERS")).state.messages == 21  # what was sent got through


async def test_file_messages(
    nc: nats.NATS, js: JetStreamContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = [orjson.loads(body) for body, _ in generated_messages(6, seed=6)]
    obj = tmp_path / "one.json"
    obj.write_bytes(SAMPLE.read_bytes())
    array = tmp_path / "many.json"
    array.write_text(json.dumps(orders[:3], indent=2))
    lines = tmp_path / "many.jsonl"
    lines.write_bytes(b"\n".join(orjson.dumps(o) for o in orders[3:]) + b"\n\n{oops\n[1, 2]\n")
    garbage, empty = tmp_path / "garbage.txt", tmp_path / "empty.json"
    garbage.write_bytes(b'not json at all\n{"order_uid": "zzz"}\n')
    empty.write_bytes(b" \n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"order_uid": 5}')))

    paths = [str(p) for p in (obj, array, lines, garbage, empty)] + ["-"]
    messages = list(file_messages(paths))

    uids = [o["order_uid"] for o in orders]
    assert messages == [
        (SAMPLE.read_bytes(), "b563feb7b2b84b6test"),
        *[(orjson.dumps(o), o["order_uid"]) for o in orders[:3]],
        *[(orjson.dumps(o), o["order_uid"]) for o in orders[3:]],
        (b"{oops", None),
        (b"[1, 2]", None),
        (garbage.read_bytes(), None),
        (b'{"order_uid": 5}', None),
    ]
    out = io.StringIO()
    report = await produce(JetStreamOrderPublisher(nc, SUBJECT), messages, out=out)
    assert (report.published, report.failed) == (len(messages), 0)
    assert sorted(out.getvalue().splitlines()) == sorted(["b563feb7b2b84b6test", *uids])
    assert Counter(await stored_bodies(js)) == Counter(body for body, _ in messages)

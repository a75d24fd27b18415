"""The dead-letter archive against a real nats-server: list, read, replay (past the duplicate window), remove."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import pytest
from nats.js import JetStreamContext

from app.adapters.jetstream_dead_letter_archive import JetStreamDeadLetterArchive
from app.adapters.jetstream_dead_letter_sink import JetStreamDeadLetterSink
from app.adapters.jetstream_order_source import JetStreamOrderSource
from app.adapters.jetstream_topology import JetStreamNames, ensure_topology
from app.entrypoints.container import Container
from tests.servers import isolated_settings


@pytest.fixture
def names(nats_url: str) -> JetStreamNames:
    names: JetStreamNames = Container(settings=isolated_settings(nats_url, "postgresql://unused")).names()
    return names


@pytest.fixture
async def js(nc: nats.NATS, names: JetStreamNames) -> JetStreamContext:
    js = nc.jetstream()
    await ensure_topology(js, names)
    return js


@pytest.fixture
async def source(nc: nats.NATS, js: JetStreamContext, names: JetStreamNames) -> AsyncIterator[JetStreamOrderSource]:
    src = JetStreamOrderSource(nc, names.stream, names.consumer)
    await src.start()
    yield src
    await src.stop()


@pytest.fixture
def archive(js: JetStreamContext, names: JetStreamNames) -> JetStreamDeadLetterArchive:
    return JetStreamDeadLetterArchive(js, names.dlq_stream, names.subject, timeout=2)


async def dead_letter(
    nc: nats.NATS,
    js: JetStreamContext,
    names: JetStreamNames,
    source: JetStreamOrderSource,
    letters: list[tuple[bytes, str, str]],
) -> None:
    """Publish each body with its uid as message id, fetch it, dead-letter it with (kind, reason)."""
    sink = JetStreamDeadLetterSink(nc, names.dlq_stream, names.dlq_subject, names.stream, timeout=2)
    for n, (body, _, _) in enumerate(letters):
        await js.publish(names.subject, body, headers={"Nats-Msg-Id": f"id-{uuid.uuid4()}", "X-Trace": f"t{n}"})
    messages = await source.fetch(len(letters), timeout=2)
    for message, (_, kind, reason) in zip(messages, letters, strict=True):
        await sink.dead_letter(message, reason, kind, f"uid-{message.stream_sequence}")
        await message.term()


async def all_of(archive: JetStreamDeadLetterArchive, **selection: object) -> list:
    return [letter async for letter in archive.letters(**selection)]  # type: ignore[arg-type]


async def test_letters_are_listed_oldest_first_with_what_the_headers_say(
    nc: nats.NATS, archive, js, names, source
) -> None:
    await dead_letter(nc, js, names, source, [(b"{bad", "invalid", "not valid JSON"), (b"{}", "conflict", "taken")])

    first, second = await all_of(archive)

    assert (first.sequence, first.kind, first.reason, first.order_uid) == (1, "invalid", "not valid JSON", "uid-1")
    assert (second.sequence, second.kind, second.order_uid, second.deliveries) == (2, "conflict", "uid-2", 1)
    assert first.data is None and first.size == 4, "listed without the bytes"
    assert abs(first.time - datetime.now(UTC)) < timedelta(seconds=30)
    assert await archive.total() == 2


async def test_the_newest_and_a_time_span_select_letters(nc: nats.NATS, archive, js, names, source) -> None:
    await dead_letter(nc, js, names, source, [(b"1", "invalid", "one"), (b"2", "invalid", "two")])
    await asyncio.sleep(0.05)
    since = datetime.now(UTC)
    await dead_letter(nc, js, names, source, [(b"3", "unexpected", "three")])

    assert [letter.reason for letter in await all_of(archive, newest=2)] == ["two", "three"]
    assert [letter.reason for letter in await all_of(archive, since=since)] == ["three"]
    assert await all_of(archive, since=datetime.now(UTC) + timedelta(hours=1)) == []


async def test_thousands_of_letters_are_listed_in_one_pass(nc: nats.NATS, archive, js, names, source) -> None:
    await dead_letter(nc, js, names, source, [(b"x%d" % n, "invalid", f"r{n}") for n in range(1200)])

    letters = await all_of(archive)

    assert [letter.reason for letter in letters] == [f"r{n}" for n in range(1200)]
    info = await js.consumers_info(names.dlq_stream)
    assert info == [], "the listing's consumer is removed afterwards"


async def test_a_letter_is_read_with_its_bytes_and_headers(nc: nats.NATS, archive, js, names, source) -> None:
    await dead_letter(nc, js, names, source, [(b'{"order_uid": 7}', "invalid", "order_uid: not a string")])

    letter = await archive.letter(1)

    assert letter is not None and letter.data == b'{"order_uid": 7}'
    assert letter.headers["X-Trace"] == "t0" and letter.headers["Orders-Original-Msg-Id"].startswith("id-")
    assert letter.kind == "invalid" and letter.size == len(letter.data)
    assert await archive.letter(99) is None


async def test_a_replay_gets_past_the_duplicate_window_with_the_original_headers(
    archive, js, names, source, nc
) -> None:
    await dead_letter(nc, js, names, source, [(b'{"order": 1}', "unexpected", "a bug, since fixed")])
    letter = await archive.letter(1)
    assert letter is not None

    original_id = letter.headers["Orders-Original-Msg-Id"]
    naive = await js.publish(names.subject, letter.data or b"", headers={"Nats-Msg-Id": original_id})
    assert naive.duplicate, "a copy under the original's id would be dropped unseen"

    replay_id = await archive.replay(letter)
    again = await archive.replay(letter)  # e.g. the command run again after a crash

    assert replay_id == again and replay_id.startswith(f"replay:{names.dlq_stream}:1:")
    [copy] = await source.fetch(5, timeout=2)  # the original's id is still within the window
    assert copy.data == b'{"order": 1}' and copy.stream_sequence == 2
    assert copy.headers is not None
    assert copy.headers["Nats-Msg-Id"] == replay_id
    assert copy.headers["X-Trace"] == "t0"
    assert copy.headers["Orders-Replay-Of"] == f"{names.dlq_stream}:1"
    assert not any(name in copy.headers for name in ("Orders-Error", "Orders-Error-Kind", "Orders-Stream-Sequence"))
    await copy.ack()


async def test_remove_deletes_one_letter(nc: nats.NATS, archive, js, names, source) -> None:
    await dead_letter(nc, js, names, source, [(b"a", "invalid", "one"), (b"b", "invalid", "two")])

    assert await archive.remove(1) is True
    assert await archive.remove(1) is False
    assert [letter.sequence for letter in await all_of(archive)] == [2]


async def test_without_a_dead_letter_stream_there_are_no_letters(nc: nats.NATS) -> None:
    archive = JetStreamDeadLetterArchive(nc.jetstream(), "NO_SUCH_DLQ", "nowhere.new", timeout=2)

    assert await all_of(archive) == []
    assert await archive.total() == 0
    assert await archive.letter(1) is None

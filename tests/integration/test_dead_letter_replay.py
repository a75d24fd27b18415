"""Replaying thousands of dead letters against a real nats-server: each exactly once, and no loop."""

import asyncio
from collections import Counter

import nats
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from app.adapters.jetstream_dead_letter_archive import REPLAY_OF_HEADER, JetStreamDeadLetterArchive
from app.adapters.jetstream_dead_letter_sink import ERROR_HEADER, KIND_HEADER
from app.adapters.jetstream_topology import JetStreamNames, ensure_topology
from app.entrypoints.container import Container
from app.ports.dead_letter_archive import ArchiveUnavailable
from app.service_layer.dead_letter_tools import DeadLetterTools, Selection
from tests.servers import isolated_settings

LETTERS = 5000


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
def archive(js: JetStreamContext, names: JetStreamNames, nc: nats.NATS) -> JetStreamDeadLetterArchive:
    return JetStreamDeadLetterArchive(js, names.dlq_stream, names.subject, timeout=10, nc=nc)


async def add_letters(js: JetStreamContext, names: JetStreamNames, count: int, kind: str = "invalid") -> None:
    """``count`` dead letters as the sink writes them: body ``n``, reason ``r<n>``."""
    for start in range(0, count, 500):
        await asyncio.gather(
            *(
                js.publish(names.dlq_subject, b"%d" % n, headers={KIND_HEADER: kind, ERROR_HEADER: f"r{n}"})
                for n in range(start, min(start + 500, count))
            )
        )


async def replayed_copies(js: JetStreamContext, names: JetStreamNames) -> Counter[str]:
    """How many copies of each dead letter the ingest stream holds, by Orders-Replay-Of."""
    total = (await js.stream_info(names.stream)).state.messages
    copies: Counter[str] = Counter()
    for sequence in range(1, total + 1):
        message = await js.get_msg(names.stream, sequence)
        copies[(message.headers or {})[REPLAY_OF_HEADER]] += 1
    return copies


async def test_thousands_are_replayed_once_each_and_those_failing_again_stay(js, names, archive, nc) -> None:
    await add_letters(js, names, LETTERS)
    again: list[asyncio.Future] = []

    async def fails_again(message: Msg) -> None:  # ingest dead-letters every other copy anew, meanwhile
        n = int(message.data)
        if n % 2:
            headers = {KIND_HEADER: "invalid", ERROR_HEADER: f"again {n}"}
            again.append(asyncio.ensure_future(js.publish(names.dlq_subject, message.data, headers=headers)))

    ingest = await nc.subscribe(names.subject, cb=fails_again)
    progress: list[tuple[int, int]] = []
    try:
        settled = await DeadLetterTools(archive).replay(
            Selection(kind="invalid"), lambda done, of: progress.append((done, of))
        )
        await nc.flush()
        await asyncio.gather(*again)
    finally:
        await ingest.unsubscribe()

    assert settled.done == list(range(1, LETTERS + 1)) and not settled.failed and not settled.missing
    copies = await replayed_copies(js, names)
    assert copies == {f"{names.dlq_stream}:{n}": 1 for n in range(1, LETTERS + 1)}
    left = [letter async for letter in archive.letters()]
    assert len(again) == LETTERS // 2, "the ingest side saw every copy"
    assert sorted(letter.reason for letter in left) == sorted(f"again {n}" for n in range(1, LETTERS, 2))
    assert all(letter.sequence > LETTERS for letter in left), "only the new letters are left, none replayed"
    assert progress[-1] == (LETTERS, LETTERS) and len(progress) == LETTERS


class ForgetfulArchive(JetStreamDeadLetterArchive):
    """The real archive, but its first ``fail`` removals fail, as if the command died between a
    copy's acknowledgement and the letter's removal."""

    def __init__(self, js: JetStreamContext, names: JetStreamNames, nc: nats.NATS, fail: int) -> None:
        super().__init__(js, names.dlq_stream, names.subject, timeout=10, nc=nc)
        self.fail = fail

    async def remove(self, sequence: int, erase: bool = True) -> bool:
        if self.fail > 0:
            self.fail -= 1
            raise ArchiveUnavailable("lost before the removal")
        return await super().remove(sequence, erase)


async def test_a_replay_run_again_after_a_failure_half_way_sends_no_letter_twice(js, names, archive, nc) -> None:
    await add_letters(js, names, LETTERS)

    first = await DeadLetterTools(ForgetfulArchive(js, names, nc, fail=1000)).replay(Selection(kind="invalid"))
    second = await DeadLetterTools(archive).replay(Selection(kind="invalid"))

    assert len(first.failed) == 1000 and len(first.done) == LETTERS - 1000
    assert second.done == sorted(first.failed), "the letters left are replayed by the next run"
    copies = await replayed_copies(js, names)
    assert copies == {f"{names.dlq_stream}:{n}": 1 for n in range(1, LETTERS + 1)}, "their second copies were dropped"
    assert await archive.total() == 0


async def test_a_letter_removed_unerased_is_gone_and_a_missing_one_says_so(js, names, archive) -> None:
    await add_letters(js, names, 3)

    assert await archive.remove(2, erase=False) is True
    assert await archive.remove(2, erase=False) is False, "already gone"
    assert await archive.remove(99, erase=False) is False

    assert [letter.sequence async for letter in archive.letters()] == [1, 3]
    assert await archive.letter(2) is None


async def test_an_unerased_removal_without_the_stream_or_the_server_says_so(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    archive = JetStreamDeadLetterArchive(nc.jetstream(), "NO_SUCH_DLQ", "nowhere.new", timeout=2, nc=nc)
    assert await archive.remove(1, erase=False) is False, "no stream: no letter there"
    await nc.close()
    with pytest.raises(ArchiveUnavailable):
        await archive.remove(1, erase=False)


async def test_letters_are_read_with_their_bytes_in_a_pass_or_one_by_one(js, names, archive) -> None:
    await add_letters(js, names, 200)
    await archive.remove(15)

    close = [letter async for letter in archive.letters_in(range(10, 21))]  # one pass of a consumer
    apart = [letter async for letter in archive.letters_in([3, 150, 999])]  # one read each

    assert [letter.sequence for letter in close] == [10, 11, 12, 13, 14, 16, 17, 18, 19, 20]
    assert [letter.data for letter in close[:2]] == [b"9", b"10"] and close[0].reason == "r9"
    assert [(letter.sequence, letter.data) for letter in apart] == [(3, b"2"), (150, b"149")]
    assert await js.consumers_info(names.dlq_stream) == [], "the reading consumer is removed afterwards"


async def test_a_letter_too_large_to_replay_with_its_headers_is_kept_and_the_link_stays_up(
    small_nats_url: str,
) -> None:
    """A whole letter published without headers right at max_payload: its replay headers would
    tip it over, and the server would close the connection. It is refused, kept, and the rest flow."""
    async with await nats.connect(small_nats_url) as nc:
        names: JetStreamNames = Container(settings=isolated_settings(small_nats_url, "postgresql://unused")).names()
        js = nc.jetstream()
        await ensure_topology(js, names)
        archive = JetStreamDeadLetterArchive(js, names.dlq_stream, names.subject, timeout=10, nc=nc)
        await js.publish(names.dlq_subject, b"x" * nc.max_payload)  # no headers: exactly at the limit
        await js.publish(names.dlq_subject, b"small", headers={KIND_HEADER: "invalid", ERROR_HEADER: "r"})

        report = await DeadLetterTools(archive).replay(Selection())

        assert list(report.failed) == [1] and "over max_payload" in report.failed[1]
        assert report.done == [2]
        assert nc.is_connected and (await js.stream_info(names.dlq_stream)).state.messages == 1
        assert (await js.stream_info(names.stream)).state.messages == 1

"""DeadLetterTools: list with counts, replay (remove only once acknowledged), purge."""

from datetime import UTC, datetime

import pytest

from app.service_layer.dead_letter_tools import DeadLetterTools, Selection
from tests.unit.fakes import FakeDeadLetterArchive

pytestmark = pytest.mark.asyncio


@pytest.fixture
def archive() -> FakeDeadLetterArchive:
    archive = FakeDeadLetterArchive()
    archive.add(b"{bad", "invalid", "not valid JSON")  # 1, at 00:01
    archive.add(b"{}", "conflict", "conflict: order_uid a", uid="a")  # 2, at 00:02
    archive.add(b"{}", "invalid", "payment.amount: must equal", uid="b")  # 3
    archive.add(b"{}", "unexpected", "unexpected TypeError while storing it: x", uid="c")  # 4
    return archive


async def test_listing_selects_by_kind_and_time_and_counts_per_kind(archive: FakeDeadLetterArchive) -> None:
    tools = DeadLetterTools(archive)

    everything = await tools.listing(Selection())
    invalid = await tools.listing(Selection(kind="invalid"))
    window = await tools.listing(
        Selection(since=datetime(2025, 1, 1, 0, 2, tzinfo=UTC), until=datetime(2025, 1, 1, 0, 3, tzinfo=UTC))
    )
    chosen = await tools.listing(Selection(sequences=(4, 1, 9)))

    assert [letter.sequence for letter in everything.letters] == [1, 2, 3, 4]
    assert everything.counts == {"invalid": 2, "conflict": 1, "unexpected": 1}
    assert [letter.sequence for letter in invalid.letters] == [1, 3] and invalid.counts == {"invalid": 2}
    assert [letter.sequence for letter in window.letters] == [2, 3]
    assert [letter.sequence for letter in chosen.letters] == [4, 1]


async def test_replay_removes_each_letter_once_its_copy_is_acknowledged(archive: FakeDeadLetterArchive) -> None:
    settled = await DeadLetterTools(archive).replay(Selection(kind="invalid"))

    assert archive.replayed == [(1, "replay:fake:1"), (3, "replay:fake:3")]
    assert settled.done == [1, 3] and settled.replay_ids == {1: "replay:fake:1", 3: "replay:fake:3"}
    assert sorted(archive.stored) == [2, 4]
    assert archive.erased == 0, "a replayed letter's copy lives on: its bytes need no overwriting"


async def test_many_letters_are_replayed_each_once_in_their_order_with_progress() -> None:
    archive = FakeDeadLetterArchive()
    for n in range(1000):
        archive.add(b"%d" % n, "invalid", f"r{n}")
    progress: list[tuple[int, int]] = []

    settled = await DeadLetterTools(archive).replay(Selection(), lambda *p: progress.append(p), window=16)

    assert settled.done == list(range(1, 1001)) and archive.stored == {}
    assert sorted(sequence for sequence, _ in archive.replayed) == settled.done
    assert progress == [(n, 1000) for n in range(1, 1001)]


async def test_letters_not_read_when_the_archive_goes_away_are_left_and_the_rest_replayed() -> None:
    archive = FakeDeadLetterArchive()
    for n in range(100):
        archive.add(b"%d" % n, "invalid", f"r{n}")
    archive.readable = 60
    progress: list[tuple[int, int]] = []

    settled = await DeadLetterTools(archive).replay(Selection(kind="invalid"), lambda *p: progress.append(p), window=4)

    assert settled.done == list(range(1, 61))
    assert settled.failed == dict.fromkeys(range(61, 101), "not read: fake dead-letter stream went away")
    assert sorted(archive.stored) == list(range(61, 101))
    assert progress[-1] == (100, 100)


async def test_a_replay_that_is_not_acknowledged_leaves_the_letter(archive: FakeDeadLetterArchive) -> None:
    archive.replay_down = True

    settled = await DeadLetterTools(archive).replay(Selection(sequences=(2, 7)))

    assert settled.done == [] and settled.missing == [7]
    assert settled.failed == {2: "not replayed: fake ingest stream is down"}
    assert sorted(archive.stored) == [1, 2, 3, 4]


async def test_purge_removes_the_selected_and_names_the_missing(archive: FakeDeadLetterArchive) -> None:
    tools = DeadLetterTools(archive)

    by_sequence = await tools.purge(Selection(sequences=(1, 1)))
    by_kind = await tools.purge(Selection(kind="unexpected"))

    assert (by_sequence.done, by_sequence.missing) == ([1], [1])
    assert by_kind.done == [4] and archive.erased == 2, "a purge overwrites the bytes"
    assert sorted(archive.stored) == [2, 3]
    assert archive.replayed == []


async def test_the_overview_counts_the_newest_and_shows_the_latest_first(archive: FakeDeadLetterArchive) -> None:
    overview = await DeadLetterTools(archive).overview(latest=2, scan=3)

    assert (overview.total, overview.scanned) == (4, 3)
    assert overview.counts == {"conflict": 1, "invalid": 1, "unexpected": 1}
    assert [letter.sequence for letter in overview.latest] == [4, 3]

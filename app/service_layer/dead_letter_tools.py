"""Use cases: look at the dead letters, send them back to ingest once their cause is fixed, purge them.

A replayed letter is removed only once ingest's stream acknowledged its copy, so
a failure half-way loses nothing: running the replay again sends the same copy
under the same message id (the stream drops it within its duplicate window, and
storage is idempotent after it). A replayed message that fails again is simply
dead-lettered again, with its new reason: a new letter, which the same run does
not replay, as the letters to replay are chosen before the first is sent.

Letters are read with their bytes in one pass and replayed ``REPLAY_WINDOW`` at
a time, so that the round trips of many overlap.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.ports.dead_letter_archive import ArchiveUnavailable, DeadLetter, DeadLetterArchive, ReplayNotAcknowledged

REPLAY_WINDOW = 256  # letters in flight at once: enough to hide the round trips, few enough to stay polite
Progress = Callable[[int, int], None]  # (letters settled so far, letters selected)


@dataclass(frozen=True)
class Selection:
    """Which dead letters: these sequences, or all of a kind and/or within a time span, or all."""

    sequences: tuple[int, ...] = ()
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, letter: DeadLetter) -> bool:
        return (
            (self.kind is None or letter.kind == self.kind)
            and (self.since is None or letter.time >= self.since)
            and (self.until is None or letter.time <= self.until)
        )


@dataclass
class Listing:
    letters: list[DeadLetter]
    counts: Counter[str]  # by kind of reason, of the letters listed


@dataclass
class Overview:
    """What the dead-letter page shows: counts over the newest ``scanned``, the latest few in full."""

    total: int
    scanned: int
    counts: Counter[str]
    latest: list[DeadLetter]  # newest first


@dataclass
class Settled:
    """What a replay or a purge did, letter by letter."""

    done: list[int] = field(default_factory=list)  # sequences replayed (and removed) or purged
    replay_ids: dict[int, str] = field(default_factory=dict)  # sequence -> the replay's message id
    missing: list[int] = field(default_factory=list)  # no dead letter at that sequence
    failed: dict[int, str] = field(default_factory=dict)  # sequence -> why it was left in place


class DeadLetterTools:
    """List, show, replay and purge dead letters through the archive."""

    def __init__(self, archive: DeadLetterArchive) -> None:
        self._archive = archive

    async def listing(self, selection: Selection) -> Listing:
        letters = [letter async for letter in self._selected(selection)]
        return Listing(letters, Counter(letter.kind for letter in letters))

    async def overview(self, latest: int = 50, scan: int = 10_000) -> Overview:
        scanned = [letter async for letter in self._archive.letters(newest=scan)]
        counts = Counter(letter.kind for letter in scanned)
        return Overview(await self._archive.total(), len(scanned), counts, scanned[::-1][:latest])

    async def show(self, sequence: int) -> DeadLetter | None:
        return await self._archive.letter(sequence)

    async def replay(
        self, selection: Selection, progress: Progress | None = None, window: int = REPLAY_WINDOW
    ) -> Settled:
        """Replay the selected letters, ``window`` at a time; ``progress`` hears of each one settled.

        The letters are read with their bytes in one pass while earlier ones are being sent.
        Should the dead-letter stream become unreadable, the letters not read yet are left
        with that reason."""
        sequences = list(dict.fromkeys(await self._sequences(selection)))  # chosen before any is sent: no loop
        settled, letters = Settled(), asyncio.Queue[DeadLetter | None](window)
        count = 0

        def settled_one() -> None:
            nonlocal count
            count += 1
            if progress is not None:
                progress(count, len(sequences))

        async def turns() -> None:
            while (letter := await letters.get()) is not None:
                await self._send(letter, settled)
                settled_one()

        turns_count = min(window, len(sequences))
        async with asyncio.TaskGroup() as group:  # a turn that fails ends the reading too, and the other way round
            for _ in range(turns_count):
                group.create_task(turns())
            unread = await self._read_into(letters, sequences, settled)
            for _ in range(turns_count):
                await letters.put(None)  # each turn ends once the letters queued before are sent
        for _ in range(unread):
            settled_one()
        return _in_order(settled, sequences)

    async def _read_into(
        self, letters: asyncio.Queue[DeadLetter | None], sequences: list[int], settled: Settled
    ) -> int:
        """Queue each selected letter read; note the missing and, on a failure, the unread. How many were not queued."""
        unread = set(sequences)
        try:
            async for letter in self._archive.letters_in(sequences):
                unread.discard(letter.sequence)
                await letters.put(letter)
        except ArchiveUnavailable as error:
            settled.failed.update((sequence, f"not read: {error}") for sequence in unread)
        else:
            settled.missing.extend(unread)
        return len(unread)

    async def _send(self, letter: DeadLetter, settled: Settled) -> None:
        """Publish one letter to ingest and remove it once acknowledged, noting how it went."""
        sequence = letter.sequence
        try:
            replay_id = settled.replay_ids[sequence] = await self._archive.replay(letter)
        except ReplayNotAcknowledged as error:
            settled.failed[sequence] = f"not replayed: {error}"
            return
        try:
            # Not erased: its copy is in the ingest stream now. False: someone removed it meanwhile.
            await self._archive.remove(sequence, erase=False)
        except ArchiveUnavailable as error:
            settled.failed[sequence] = f"replayed as {replay_id}, but the dead letter stays: {error}"
            return
        settled.done.append(sequence)

    async def purge(self, selection: Selection) -> Settled:
        settled = Settled()
        for sequence in await self._sequences(selection):
            (settled.done if await self._archive.remove(sequence) else settled.missing).append(sequence)
        return settled

    async def _sequences(self, selection: Selection) -> list[int]:
        if selection.sequences:
            return list(selection.sequences)
        return [letter.sequence async for letter in self._selected(selection)]

    async def _selected(self, selection: Selection) -> AsyncIterator[DeadLetter]:
        if selection.sequences:
            for sequence in selection.sequences:
                letter = await self._archive.letter(sequence)
                if letter is not None and selection.matches(letter):
                    yield letter
            return
        async for letter in self._archive.letters(since=selection.since):
            if selection.matches(letter):
                yield letter


def _in_order(settled: Settled, sequences: list[int]) -> Settled:
    """``settled`` with its letters in the order they were selected (turns end in any order)."""
    rank = {sequence: n for n, sequence in enumerate(sequences)}
    settled.done.sort(key=rank.__getitem__)
    settled.missing.sort(key=rank.__getitem__)
    settled.failed = dict(sorted(settled.failed.items(), key=lambda item: rank[item[0]]))
    return settled

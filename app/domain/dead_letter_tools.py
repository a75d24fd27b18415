"""Use cases: look at the dead letters, send them back to ingest once their cause is fixed, purge them.

A replayed letter is removed only once ingest's stream acknowledged its copy, so
a failure half-way loses nothing: running the replay again sends the same copy
under the same message id (the stream drops it within its duplicate window, and
storage is idempotent after it). A replayed message that fails again is simply
dead-lettered again, with its new reason.
"""

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from app.ports.dead_letter_archive import ArchiveUnavailable, DeadLetter, DeadLetterArchive, ReplayNotAcknowledged


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

    async def replay(self, selection: Selection) -> Settled:
        settled = Settled()
        for sequence in await self._sequences(selection):
            letter = await self._archive.letter(sequence)
            if letter is None:
                settled.missing.append(sequence)
                continue
            try:
                replay_id = settled.replay_ids[sequence] = await self._archive.replay(letter)
            except ReplayNotAcknowledged as error:
                settled.failed[sequence] = f"not replayed: {error}"
                continue
            try:
                await self._archive.remove(sequence)  # False: someone removed it meanwhile, as well
            except ArchiveUnavailable as error:
                settled.failed[sequence] = f"replayed as {replay_id}, but the dead letter stays: {error}"
                continue
            settled.done.append(sequence)
        return settled

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

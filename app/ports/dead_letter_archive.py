"""What the dead-letter tools need: read the dead letters, send one back to ingest, remove one."""

from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter: where it sits in the dead-letter stream, why it is there, and what it was."""

    sequence: int
    time: datetime  # when it was dead-lettered (UTC)
    kind: str  # one of app.domain.rejections.REASON_KINDS ("" for a letter older than the kinds)
    reason: str
    order_uid: str | None
    deliveries: int | None  # how many times the stream had delivered the original
    headers: Mapping[str, str]  # every header, as stored
    data: bytes | None = None  # the original bytes; None when listed without them
    size: int | None = None  # of the original bytes


class ArchiveUnavailable(Exception):
    """The dead-letter stream cannot be read or written right now."""


class ReplayNotAcknowledged(Exception):
    """The ingest stream did not acknowledge a replayed message; its dead letter stays."""


class DeadLetterArchive(Protocol):
    """The dead-letter stream, for people who look after it."""

    def letters(self, since: datetime | None = None, newest: int | None = None) -> AsyncIterator[DeadLetter]:
        """Every dead letter (headers only), oldest first: those from ``since`` on, or the
        ``newest`` most recent ones. Raises ArchiveUnavailable."""

    def letters_in(self, sequences: Collection[int]) -> AsyncIterator[DeadLetter]:
        """The dead letters at ``sequences`` that are there, with their bytes, oldest first,
        read in one pass where they lie close together. Raises ArchiveUnavailable."""

    async def total(self) -> int:
        """How many dead letters there are. Raises ArchiveUnavailable."""

    async def letter(self, sequence: int) -> DeadLetter | None:
        """One dead letter with its bytes; None if there is none at ``sequence``."""

    async def replay(self, letter: DeadLetter) -> str:
        """Publish the original bytes and headers to the ingest subject under a message id of
        the replay's own, and return that id once the stream acknowledged it (also when the
        stream had it already). Raises ReplayNotAcknowledged."""

    async def remove(self, sequence: int, erase: bool = True) -> bool:
        """Delete one dead letter; False if there was none at ``sequence``. ``erase``: overwrite its
        bytes where they were stored (slow); a replayed letter, whose copy lives on, needs not."""

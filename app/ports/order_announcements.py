"""Orders one instance stored, told to the other instances, and heard from them.

Every instance keeps its own cache, live feed and waiting requests; the
announcements keep them in step. They name the orders stored, not their content
(``app.domain.announced_uids``): a receiving instance reads them from its own
database, so a forged announcement cannot change what is served. They are best
effort: an announcement lost costs another instance a cache miss (it reads the
database), never a wrong answer, since a stored order never changes.
"""

from collections.abc import Callable, Sequence
from typing import Protocol

from app.domain.document import SerializedOrder

OnAnnounced = Callable[[bytes], None]  # the body of another instance's announcement, unchecked; never blocks


class OrderAnnouncer(Protocol):
    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        """Tell the other instances these orders are stored now (after their commit); never blocks."""

    async def flush(self) -> None:
        """Wait until the announcements made so far have been handed to the broker."""


class OrderAnnouncements(Protocol):
    async def subscribe(self, on_announced: OnAnnounced) -> None:
        """From now on, hand ``on_announced`` the announcements of the other instances (not this one's)."""

    async def unsubscribe(self) -> None: ...

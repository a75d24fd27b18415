"""Orders one instance stored, told to the other instances, and heard from them.

Every instance keeps its own cache, live feed and waiting requests; the
announcements keep them in step. They are best effort: an announcement lost
costs another instance a cache miss (it reads the database), never a wrong
answer, since a stored order never changes.
"""

from collections.abc import Callable, Sequence
from typing import Protocol

from app.domain.document import SerializedOrder

OnAnnounced = Callable[[Sequence[SerializedOrder]], None]


class OrderAnnouncer(Protocol):
    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        """Tell the other instances these orders are stored now (after their commit); never blocks."""

    async def flush(self) -> None:
        """Wait until the announcements made so far have been handed to the broker."""


class OrderAnnouncements(Protocol):
    async def subscribe(self, on_orders: OnAnnounced) -> None:
        """From now on, hand ``on_orders`` the orders the other instances announce (not this one's)."""

    async def unsubscribe(self) -> None: ...

"""Where newly stored orders are announced to live views (the home page's feed)."""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from app.domain.document import SerializedOrder

FeedEvent = dict[str, Any]  # an order's summary (``order_summary``), JSON-ready


@dataclass(frozen=True)
class FeedNews:
    """The orders stored since a listener last looked: how many, and the latest of them.

    ``latest`` is oldest first and holds at most the feed's ``keep`` summaries, so a burst
    comes as one piece of news ("1,000 new orders", the latest shown) and is never lost count of.
    """

    count: int
    latest: tuple[FeedEvent, ...]

    @property
    def complete(self) -> bool:
        """Whether ``latest`` holds every order counted."""
        return self.count == len(self.latest)


class FeedListener(Protocol):
    async def news(self) -> FeedNews | None:
        """Wait until an order is stored, then take everything since the last call; None once closed."""

    def close(self) -> None:
        """End the listening: ``news`` returns None from now on."""


class OrderFeed(Protocol):
    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        """Tell current listeners about orders just stored; never blocks."""

    def listen(self) -> AbstractAsyncContextManager[FeedListener]:
        """A listener of the orders announced while the context is open."""

"""Where newly stored orders are announced to live views (the home page's feed)."""

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from app.domain.document import SerializedOrder

FeedEvent = dict[str, Any]  # an order's summary (``order_summary``), JSON-ready


class OrderFeed(Protocol):
    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        """Tell current listeners about orders just stored; never blocks."""

    def listen(self) -> AbstractAsyncContextManager[asyncio.Queue[FeedEvent]]:
        """A queue of the events announced while the context is open."""

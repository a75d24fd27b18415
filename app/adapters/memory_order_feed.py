"""OrderFeed in this process: newly stored orders, broadcast to live listeners (SSE clients).

A listener holds a count and the latest ``keep`` summaries, not a queue: while
it is busy (a slow page, a burst of 1,000 orders in one batch) the count grows
and older summaries give way to newer ones, in constant memory. Its next news
says how many orders it missed; none is ever lost count of.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from app.domain.document import SerializedOrder
from app.domain.order_summary import order_summary
from app.ports.order_feed import FeedEvent, FeedNews

KEEP = 20  # the summaries a listener keeps: as many as the home page lists


class MemoryFeedListener:
    """One listener's news since it last looked."""

    def __init__(self, keep: int) -> None:
        self._count = 0
        self._latest: deque[FeedEvent] = deque(maxlen=keep)
        self._waiting = asyncio.Event()
        self._closed = False

    def add(self, count: int, latest: Sequence[FeedEvent]) -> None:
        self._count += count
        self._latest.extend(latest)
        self._waiting.set()

    async def news(self) -> FeedNews | None:
        await self._waiting.wait()
        if self._closed:
            return None
        self._waiting.clear()
        news = FeedNews(self._count, tuple(self._latest))
        self._count = 0
        self._latest.clear()
        return news

    def close(self) -> None:
        self._closed = True
        self._waiting.set()


class MemoryOrderFeed:
    """Broadcasts each announcement to every listener; summarizes only the orders a listener can keep."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._listeners: set[MemoryFeedListener] = set()

    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        if not self._listeners or not orders:
            return
        latest = [order_summary(o.order) for o in orders[-self._keep :]]
        for listener in self._listeners:
            listener.add(len(orders), latest)

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[MemoryFeedListener]:
        listener = MemoryFeedListener(self._keep)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

"""OrderFeed in this process: newly stored orders, broadcast to live listeners (SSE clients)."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from app.domain.document import SerializedOrder
from app.domain.order_summary import order_summary
from app.ports.order_feed import FeedEvent


class MemoryOrderFeed:
    """Each listener has a bounded queue; a listener too slow to keep up loses old events, not the service."""

    def __init__(self, queue_size: int = 256) -> None:
        self._queue_size = queue_size
        self._listeners: set[asyncio.Queue[FeedEvent]] = set()

    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        if not self._listeners:
            return
        summaries = [order_summary(o.order) for o in orders]
        for queue in self._listeners:
            for summary in summaries:
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(summary)

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[FeedEvent]]:
        queue: asyncio.Queue[FeedEvent] = asyncio.Queue(self._queue_size)
        self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)

"""``GET /events``: server-sent events that keep the home page live.

An ``order`` event carries the summary of each order as it is stored (see
``app/domain/order_summary.py``); a ``stats`` event carries the counters at
once and then every ``STATS_EVERY`` seconds. The stream listens to the order
feed before it sends its headers, so an order stored after a client sees the
response start is always delivered. On shutdown every stream is ended, so open
pages do not hold the server up.
"""

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from aiohttp_sse import EventSourceResponse, sse_response

from app.entrypoints.web.routing import Guard, Routes
from app.ports.order_feed import FeedEvent, OrderFeed

STATS_EVERY = 2.0
RETRY_MS = 3000
Counters = Callable[[], dict[str, Any]]


_CLOSE: FeedEvent = {}  # put in a listener's queue (compared by identity): the stream ends


class LiveEvents:
    """The ``/events`` handler and the streams it keeps open."""

    def __init__(self, feed: OrderFeed, counters: Counters) -> None:
        self._feed = feed
        self._counters = counters
        self._queues: set[asyncio.Queue[FeedEvent]] = set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        async with self._feed.listen() as queue:
            self._queues.add(queue)
            try:
                async with sse_response(request) as stream:
                    # ConnectionResetError, TimeoutError: the page went away (or stalled)
                    with contextlib.suppress(ConnectionResetError, TimeoutError):
                        await self._relay(queue, stream)
            finally:
                self._queues.discard(queue)
        return stream

    async def close_all(self, app: web.Application) -> None:
        """On shutdown: end every stream."""
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(_CLOSE)

    async def _send_stats(self, stream: EventSourceResponse, retry: int | None = None) -> None:
        await stream.send(orjson.dumps(self._counters()).decode(), event="stats", retry=retry)

    async def _relay(self, queue: asyncio.Queue[FeedEvent], stream: EventSourceResponse) -> None:
        loop = asyncio.get_running_loop()
        await self._send_stats(stream, retry=RETRY_MS)
        next_stats = loop.time() + STATS_EVERY
        while True:
            try:
                async with asyncio.timeout_at(next_stats):
                    event = await queue.get()
            except TimeoutError:
                await self._send_stats(stream)
                next_stats = loop.time() + STATS_EVERY
                continue
            if event is _CLOSE:
                return
            await stream.send(orjson.dumps(event).decode(), event="order")


def add_routes(routes: Routes, events: LiveEvents, guard: Guard | None = None) -> None:
    routes.app.on_shutdown.append(events.close_all)
    routes.add("GET", "/events", events.handle, name="events", guard=guard)

"""``GET /events``: server-sent events that keep the home page live.

An ``order`` event carries the summary of an order as it is stored (see
``app/domain/order_summary.py``). When more orders were stored since the last
event than the feed keeps (a burst, or a slow page), one ``orders`` event says
how many (``count``) and carries the latest of them (``latest``, oldest first),
so a page never loses count. A ``stats`` event carries the counters at once and
then every ``STATS_EVERY`` seconds. The stream listens to the order feed before
it sends its headers, so an order stored after a client sees the response start
is always counted. On shutdown every stream is ended, so open pages do not hold
the server up.
"""

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from aiohttp_sse import EventSourceResponse, sse_response

from app.entrypoints.web.routing import Guard, Routes
from app.entrypoints.web.security_headers import API_SECURITY_HEADERS
from app.ports.order_feed import FeedListener, FeedNews, OrderFeed

STATS_EVERY = 2.0
RETRY_MS = 3000
Counters = Callable[[], dict[str, Any]]


class LiveEvents:
    """The ``/events`` handler and the streams it keeps open."""

    def __init__(self, feed: OrderFeed, counters: Counters) -> None:
        self._feed = feed
        self._counters = counters
        self._listeners: set[FeedListener] = set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        async with self._feed.listen() as listener:
            self._listeners.add(listener)
            try:
                # its headers leave before the handler returns: the security headers go with them
                async with sse_response(request, headers=API_SECURITY_HEADERS) as stream:
                    # ConnectionResetError, TimeoutError: the page went away (or stalled)
                    with contextlib.suppress(ConnectionResetError, TimeoutError):
                        await self._relay(listener, stream)
            finally:
                self._listeners.discard(listener)
        return stream

    async def close_all(self, app: web.Application) -> None:
        """On shutdown: end every stream."""
        for listener in self._listeners:
            listener.close()

    async def _send_stats(self, stream: EventSourceResponse, retry: int | None = None) -> None:
        await stream.send(orjson.dumps(self._counters()).decode(), event="stats", retry=retry)

    async def _relay(self, listener: FeedListener, stream: EventSourceResponse) -> None:
        loop = asyncio.get_running_loop()
        await self._send_stats(stream, retry=RETRY_MS)
        next_stats = loop.time() + STATS_EVERY
        while True:
            try:
                async with asyncio.timeout_at(next_stats):
                    news = await listener.news()
            except TimeoutError:
                await self._send_stats(stream)
                next_stats = loop.time() + STATS_EVERY
                continue
            if news is None:
                return
            await _send_news(stream, news)


async def _send_news(stream: EventSourceResponse, news: FeedNews) -> None:
    if news.complete:
        for summary in news.latest:
            await stream.send(orjson.dumps(summary).decode(), event="order")
    else:
        body = {"count": news.count, "latest": news.latest}
        await stream.send(orjson.dumps(body).decode(), event="orders")


def add_routes(routes: Routes, events: LiveEvents, guard: Guard | None = None) -> None:
    routes.app.on_shutdown.append(events.close_all)
    routes.add("GET", "/events", events.handle, name="events", guard=guard)

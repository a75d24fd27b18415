"""``GET /events``: server-sent events that keep the home page live.

An ``order`` event carries the summary of each order as it is stored (see
``app/domain/order_summary.py``); a ``stats`` event carries the counters at
once and then every ``STATS_EVERY`` seconds. The stream listens to the order
feed before it sends its headers, so an order stored after a client sees the
response start is always delivered. On shutdown every stream is ended, so open
pages do not hold the server up.
"""

import asyncio
from typing import Any

import orjson
from aiohttp import web
from aiohttp_sse import EventSourceResponse, sse_response

from app.entrypoints.service import OrderService
from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.pages import counters

STATS_EVERY = 2.0
RETRY_MS = 3000
_CLOSE: Any = None  # put in a listener's queue: the stream ends
STREAMS = web.AppKey("live_streams", set)


async def _send_stats(stream: EventSourceResponse, service: OrderService, retry: int | None = None) -> None:
    await stream.send(orjson.dumps(counters(service)).decode(), event="stats", retry=retry)


async def _relay(queue: asyncio.Queue, stream: EventSourceResponse, service: OrderService) -> None:
    loop = asyncio.get_running_loop()
    await _send_stats(stream, service, retry=RETRY_MS)
    next_stats = loop.time() + STATS_EVERY
    while True:
        try:
            async with asyncio.timeout_at(next_stats):
                summary = await queue.get()
        except TimeoutError:
            await _send_stats(stream, service)
            next_stats = loop.time() + STATS_EVERY
            continue
        if summary is _CLOSE:
            return
        await stream.send(orjson.dumps(summary).decode(), event="order")


async def events(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    streams: set[asyncio.Queue] = request.app[STREAMS]
    async with service.feed.listen() as queue:
        streams.add(queue)
        try:
            async with sse_response(request) as stream:
                try:
                    await _relay(queue, stream, service)
                except (ConnectionResetError, TimeoutError):
                    pass  # the page went away (or stalled); nothing to tell it
        finally:
            streams.discard(queue)
    return stream


async def _close_streams(app: web.Application) -> None:
    for queue in list(app[STREAMS]):
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(_CLOSE)


def add_routes(app: web.Application) -> None:
    app[STREAMS] = set()
    app.on_shutdown.append(_close_streams)
    app.router.add_get("/events", events, name="events")

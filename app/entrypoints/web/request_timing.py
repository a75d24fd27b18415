"""HTTP request durations by route, method and status, taken around each handler.

Each route's handler is wrapped once, when the app is built, with the route's
label (its path template) and method, so a request costs two clock reads and
a series update. The cached-lookup handler times itself inline (see
``order_api.py``). aiohttp's access-log hook, the alternative, cost 6,800 CPU
instructions of a 185,000-instruction cached lookup (callgrind); a middleware
more.

The time is the handler's: from the request reaching it until its response is
ready to send. Requests aiohttp itself rejects (a malformed request line or
header) never reach a handler and are not timed.
"""

import functools
from time import perf_counter

from aiohttp import web
from aiohttp.typedefs import Handler

from app.adapters.prometheus_http_timings import HttpTimings


def timed(handler: Handler, timings: HttpTimings, route: str, method: str | None) -> Handler:
    """``handler``, recording each answer under ``route``, ``method`` (None: the request's) and status."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        started = perf_counter()
        try:
            response = await handler(request)
        except web.HTTPException as answer:  # a raised redirect is an answer too
            timings.observe(route, method or request.method, answer.status, perf_counter() - started)
            raise
        timings.observe(route, method or request.method, response.status, perf_counter() - started)
        return response

    return wrapped

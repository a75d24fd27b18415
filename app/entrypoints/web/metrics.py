"""``GET /metrics`` (Prometheus text), and request timing through aiohttp's access-log hook.

The hook runs once the response is written and wraps nothing around the
handler; a timing middleware measured 8-10 µs of a ~50 µs cached lookup.
"""

from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.adapters.prometheus_http_timings import HttpTimings
from app.entrypoints.web.app_keys import SERVICE


class RequestTimingLog(AbstractAccessLogger):
    """An "access logger" that records each request's duration by route and status."""

    def __init__(self, timings: HttpTimings, log_format: str) -> None:
        super().__init__(timings, log_format)  # type: ignore[arg-type]
        self._timings = timings

    @property
    def enabled(self) -> bool:
        return True

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        match_info = getattr(request, "match_info", None)
        resource = match_info.route.resource if match_info is not None else None
        route = resource.canonical if resource is not None else "unmatched"
        self._timings.observe(route, request.method, response.status, time)


def server_options(app: web.Application) -> dict[str, Any]:
    """What every runner of the app passes to aiohttp so that requests are timed."""
    return {"access_log_class": RequestTimingLog, "access_log": app[SERVICE].metrics.http_timings}


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[SERVICE].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)

"""``GET /metrics`` (Prometheus text), and the server options every runner of the app uses."""

from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.entrypoints.web.app_keys import SERVICE


# What every runner of the app passes to aiohttp. No access log: requests are timed by their
# handlers (``request_timing.py``) at a fraction of the hook's cost; a log line each would cost more.
SERVER_OPTIONS: dict[str, Any] = {"access_log": None}


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[SERVICE].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)

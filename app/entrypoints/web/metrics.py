"""``GET /metrics`` (Prometheus text), and the server options every runner of the app uses."""

from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.entrypoints.web.app_keys import SERVICE


def server_options(app: web.Application) -> dict[str, Any]:
    """No access log: requests are timed by their handlers (``request_timing.py``), at a
    fraction of the hook's cost, and a log line per request would cost more still."""
    return {"access_log": None}


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[SERVICE].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)

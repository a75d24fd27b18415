"""Liveness (``/healthz``) and readiness (``/readyz``) probes."""

from aiohttp import web

from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.problems import problem


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    parts = await service.readiness()
    cached = len(service.cache)
    failing = sorted(name for name, ok in parts.items() if not ok)
    if failing:
        return problem(503, "Not ready", "failing: " + ", ".join(failing), checks=parts, cached_orders=cached)
    return web.json_response({"status": "ready", "checks": parts, "cached_orders": cached})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

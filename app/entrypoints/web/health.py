"""Liveness (``/healthz``), readiness (``/readyz``) and the metrics (``/metrics``).

A scrape checks readiness as ``/readyz`` does, so ``orders_ready`` (and
``orders_ready_check{check}``) say what it would answer; alerts watch them.
"""

from aiohttp import web

from app.entrypoints.web.problems import problem
from app.entrypoints.web.routing import Routes
from app.ports.metrics import ServiceMetrics
from app.ports.order_cache import OrderCache
from app.service_layer.service import OrderService


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


def add_routes(routes: Routes, service: OrderService, cache: OrderCache, metrics: ServiceMetrics) -> None:
    async def readyz(request: web.Request) -> web.Response:
        parts = await service.readiness()
        cached = len(cache)
        failing = sorted(name for name, ok in parts.items() if not ok)
        if failing:
            return problem(503, "Not ready", "failing: " + ", ".join(failing), checks=parts, cached_orders=cached)
        return web.json_response({"status": "ready", "checks": parts, "cached_orders": cached})

    async def prometheus(request: web.Request) -> web.Response:
        metrics.set_readiness(await service.readiness())  # what /readyz would answer, as gauges
        body, content_type = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})

    routes.add("GET", "/healthz", healthz, name="healthz")
    routes.add("GET", "/readyz", readyz, name="readyz")
    routes.add("GET", "/metrics", prometheus, name="metrics")

"""The aiohttp application: routes, error handling and the service lifecycle."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from app.entrypoints.service import OrderService
from app.entrypoints.web import health, metrics, order_api
from app.entrypoints.web import live_events, pages
from app.entrypoints.web import openapi, swagger
from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.problems import answering_problems, no_route
from app.entrypoints.web.request_timing import timed
from app.entrypoints.web.security_headers import with_security_headers

MAX_BODY_BYTES = 1024 * 1024


async def _service_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Start the service in the background (so probes answer at once); stop it on cleanup."""
    service = app[SERVICE]
    starting = asyncio.create_task(service.start(), name="service-start")
    yield
    if not starting.done():
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    await service.stop()


def create_app(service: OrderService) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SERVICE] = service
    app.cleanup_ctx.append(_service_lifecycle)
    health.add_routes(app)
    order_api.add_routes(app)
    openapi.add_routes(app)
    swagger.add_routes(app)
    metrics.add_routes(app)
    pages.setup(app)
    live_events.add_routes(app)
    _finish_routes(app)
    return app


def _finish_routes(app: web.Application) -> None:
    """Last: a catch-all route for unknown paths and methods, then wrap every handler
    (but the hot path's) so its errors become problems, its responses get the security
    headers and its requests are timed. This is what middlewares would do, without
    their cost per request."""
    app.router.add_route("*", "/{path:(?s:.*)}", no_route, name="no-route")  # (?s): newlines too
    timings = app[SERVICE].metrics.http_timings
    for route in app.router.routes():
        handler = route.handler
        if not getattr(handler, "complete_responses", False) and not isinstance(handler, type):
            method = None if route.method == "*" else route.method
            handler = with_security_headers(answering_problems(handler))
            # aiohttp has no public way to wrap a registered handler; its route keeps it here.
            route._handler = timed(handler, timings, route.resource.canonical, method)  # type: ignore[attr-defined]

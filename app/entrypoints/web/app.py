"""The aiohttp application: routes, error handling and the service lifecycle."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from app.entrypoints.service import OrderService
from app.entrypoints.web import health, metrics, order_api
from app.entrypoints.web import live_events, pages, security_headers
from app.entrypoints.web import openapi, swagger
from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.problems import answer_errors_as_problems

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
    security_headers.install(app)
    answer_errors_as_problems(app)  # last: it adds the catch-all route and wraps the rest
    return app

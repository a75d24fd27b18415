"""``orders serve``: the consumer and the web app in one process.

SIGTERM or SIGINT stops fetching, lets the batch in hand finish, closes the
connections and exits.
"""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web

from app.entrypoints.container import Container
from app.entrypoints.gc_tuning import collect_less_often, freeze_startup_objects
from app.entrypoints.service import OrderService
from app.entrypoints.settings import Settings
from app.entrypoints.web.app import create_app
from app.entrypoints.web.metrics import SERVER_OPTIONS

log = logging.getLogger(__name__)
OnReady = Callable[[OrderService], Awaitable[None]]


def build_service(settings: Settings) -> OrderService:
    if not settings.nats_url or not settings.database_url:
        raise SystemExit("orders serve needs NATS_URL and DATABASE_URL (or use `make run` for embedded servers)")
    return OrderService(Container(settings=settings))


async def run_service(settings: Settings, on_ready: OnReady | None = None) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully."""
    collect_less_often()
    service = build_service(settings)
    app = create_app(service)
    runner = web.AppRunner(app, handle_signals=False, **SERVER_OPTIONS)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, backlog=2048)
    await site.start()
    log.info("listening on http://%s:%d", settings.http_host, settings.http_port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    after_ready = asyncio.create_task(_when_ready(service, on_ready))
    try:
        await stopping.wait()
        log.info("stopping")
    finally:
        after_ready.cancel()
        await runner.cleanup()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _when_ready(service: OrderService, on_ready: OnReady | None) -> None:
    await service.ready.wait()
    freeze_startup_objects()
    if on_ready is not None:
        try:
            await on_ready(service)
        except Exception:
            log.exception("the on-ready step failed")

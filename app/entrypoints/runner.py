"""``orders serve``: the consumer and the web app in one process.

SIGTERM or SIGINT stops fetching, lets the batch in hand finish, closes the
connections and exits.
"""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web

from app.entrypoints.bootstrap import container_for, create_app
from app.entrypoints.container import Container
from app.entrypoints.gc_tuning import collect_less_often, freeze_startup_objects
from app.entrypoints.settings import Settings
from app.entrypoints.web.app import SERVER_OPTIONS

log = logging.getLogger(__name__)
OnReady = Callable[[Container], Awaitable[None]]


async def run_service(settings: Settings, on_ready: OnReady | None = None) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully."""
    collect_less_often()
    container = container_for(settings)
    runner = web.AppRunner(await create_app(container), handle_signals=False, **SERVER_OPTIONS)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, backlog=2048)
    try:
        await site.start()
    except OSError as error:  # the port in use, or not ours to take: one line, not a traceback
        await runner.cleanup()
        where = f"{settings.http_host}:{settings.http_port}"
        raise SystemExit(f"orders serve: cannot listen on {where}: {error.strerror or error}") from None
    log.info("listening on http://%s:%d", settings.http_host, settings.http_port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    after_ready = asyncio.create_task(_when_ready(container, on_ready))
    try:
        await stopping.wait()
        log.info("stopping")
    finally:
        after_ready.cancel()
        await runner.cleanup()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _when_ready(container: Container, on_ready: OnReady | None) -> None:
    await container.service().ready.wait()
    freeze_startup_objects()
    if on_ready is not None:
        try:
            await on_ready(container)
        except Exception:
            log.exception("the on-ready step failed")

"""The app of ``orders serve``, built from the container, with the service's life tied to the app's.

A runner (``runner.py``) or a gunicorn worker serves what ``create_app`` returns.
The service starts in the background when the app starts, so that the probes
answer at once, and stops, its batch in hand finished, when the app stops.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from app.entrypoints.container import Container
from app.entrypoints.logging_setup import expected_loop_errors
from app.entrypoints.settings import Settings
from app.entrypoints.web.app import create_web_app

log = logging.getLogger(__name__)
CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def container_for(settings: Settings) -> Container:
    if not settings.nats_url or not settings.database_url:
        raise SystemExit("orders serve needs NATS_URL and DATABASE_URL (or use `make run` for embedded servers)")
    return Container(settings=settings)


async def create_app(container: Container | None = None) -> web.Application:
    """Async, so that the connections are made inside the event loop that will use them."""
    worker = container is None  # a gunicorn worker's factory call: the process serves this app alone
    if container is None:
        container = container_for(Settings())
    app = create_web_app(container.web_parts())
    app.cleanup_ctx.append(service_lifecycle(container))
    if worker:
        app.on_cleanup.append(cancel_left_behind)  # after the lifecycle's end, which comes first
    return app


async def cancel_left_behind(app: web.Application) -> None:
    """Cancel the tasks still pending once the service has stopped, as ``asyncio.run`` does before it
    closes its loop (``orders serve`` with one process). gunicorn's worker closes its loop without
    doing so, and nats-py, closed while reconnecting, leaves its subscriptions' tasks behind: each
    would be an "Event loop is closed" traceback as the worker exits."""
    current = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in left:
        task.cancel()
    if left:
        await asyncio.wait(left, timeout=5)  # one that will not stop does not hold the exit up


def service_lifecycle(container: Container) -> CleanupContext:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        with expected_loop_errors(asyncio.get_running_loop()):
            starting = asyncio.create_task(_start(container), name="service-start")
            yield
            if not starting.done():
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
            await container.service().stop()
            await _completed(container.shutdown_resources())

    return lifecycle


async def _start(container: Container) -> None:
    try:
        await _completed(container.init_resources())
        await container.service().start()
    except Exception:
        log.exception("the service could not start")


async def _completed(resources: Awaitable[None] | None) -> None:
    """What ``init_resources``/``shutdown_resources`` return: awaitable, as our resources are async."""
    if resources is not None:
        await resources

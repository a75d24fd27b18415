"""The service's two connections, as the container's resources.

Each connection object is made unconnected, so that the adapters can be built
with it when the app is built; the resources open them at startup
(``await container.init_resources()``) and close them at shutdown.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS

from app.adapters.pg_timestamptz_codec import use_fast_timestamptz
from app.entrypoints.nats_reopening import Reopening

log = logging.getLogger(__name__)


async def _no_session_reset(connection: asyncpg.Connection) -> None:
    """We set no session state (no SET, LISTEN, advisory locks or held cursors), so the
    reset query asyncpg sends on every release would be a wasted round trip.
    asyncpg still rolls back an open transaction itself."""


def asyncpg_pool(
    dsn: str, max_size: int, command_timeout: float, connect_options: Mapping[str, Any] | None = None
) -> asyncpg.Pool:
    """An unopened pool that connects lazily (``min_size=0``): opening it needs no database.

    ``connect_options``: further ``asyncpg.connect`` arguments (``pg_session.pg_connect_options``)."""
    return asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=max_size,
        command_timeout=command_timeout,
        max_inactive_connection_lifetime=60,
        reset=_no_session_reset,
        init=use_fast_timestamptz,
        **(connect_options or {}),
    )


async def opened_pool(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    await pool  # asyncpg's way to open a pool made by create_pool
    try:
        yield pool
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


def server_list(urls: str) -> list[str]:
    """``NATS_URL``: one server URL or a comma-separated list of them."""
    return [url.strip() for url in urls.split(",") if url.strip()]


async def connected_nats(nc: NATS, options: dict[str, Any], reopening: Reopening | None = None) -> AsyncIterator[NATS]:
    """Connect with ``options`` (``nats_options``: servers, credentials, TLS, callbacks), retrying
    until a server answers; afterwards it reconnects without limit, and ``reopening`` connects
    it again should the server close it for good.

    ``no_echo``: the server does not send this connection what it published itself, such as
    its own announcements of stored orders (JetStream's deliveries and replies come from the
    server, so they are not affected)."""

    async def connect() -> None:
        await nc.connect(
            **options,
            no_echo=True,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            closed_cb=closed,
        )

    closed = reopening.closed_callback(nc, connect) if reopening is not None else None
    await connect()
    if reopening is not None:
        reopening.watch(nc, connect)
    try:
        yield nc
    finally:
        if reopening is not None:
            reopening.stop()
        # Closing while every server is away: nats-py's close still flushes into the lost socket,
        # after it has stopped its tasks (uvloop says so with a RuntimeError: the handle is closed).
        with contextlib.suppress(ConnectionError, RuntimeError):
            await nc.drain() if nc.is_connected else await nc.close()

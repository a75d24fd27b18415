"""Async resources for the container: the asyncpg pool and the NATS connection."""

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
import nats
from nats.aio.client import Client as NATS

from app.adapters.pg_timestamptz_codec import use_fast_timestamptz

log = logging.getLogger(__name__)


async def _no_session_reset(connection: asyncpg.Connection) -> None:
    """We set no session state (no SET, LISTEN, advisory locks or held cursors), so the
    reset query asyncpg sends on every release is a wasted round trip (~20% of an
    uncached lookup's CPU). asyncpg still rolls back an open transaction itself."""


async def asyncpg_pool(dsn: str, max_size: int, command_timeout: float) -> AsyncIterator[asyncpg.Pool]:
    """A lazily connecting pool: creating it does not need the database to be up."""
    pool = await asyncpg.create_pool(
        dsn, min_size=0, max_size=max_size, command_timeout=command_timeout,
        max_inactive_connection_lifetime=60, reset=_no_session_reset, init=use_fast_timestamptz,
    )
    try:
        yield pool
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


async def nats_connection(url: str, name: str = "order-service") -> AsyncIterator[NATS]:
    """A connection that reconnects without limit; the first connect is retried too."""
    delay = 0.2
    while True:
        try:
            nc = await nats.connect(
                url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                connect_timeout=2, allow_reconnect=True,
                disconnected_cb=_say("disconnected from NATS"), reconnected_cb=_say("reconnected to NATS"),
            )
            break
        except (OSError, nats.errors.Error, TimeoutError) as error:
            log.warning("NATS at %s unreachable (%s); retrying in %.1fs", url, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    try:
        yield nc
    finally:
        await nc.drain() if nc.is_connected else await nc.close()


def _say(text: str):
    async def callback() -> None:
        log.warning(text)
    return callback

"""Callers of one PgOrderRepository get pooled connections in turn, against a real PostgreSQL.

asyncpg's pool lets a newcomer take a connection that was just given back to
a caller already waiting, who then waits again at the back (asyncpg issue
#1247); under load that starved some lookups for hundreds of milliseconds.
"""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.adapters.pg_order_repository import PgOrderRepository

LOOKUPS, ARRIVING_PER_PASS = 120, 4


@pytest.fixture
async def one_connection(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    yield pool
    await pool.close()


async def test_lookups_are_answered_in_the_order_they_arrive(one_connection: asyncpg.Pool) -> None:
    """New lookups keep arriving, a few per pass of the event loop, as requests do under load."""
    repository = PgOrderRepository(one_connection)
    await repository.get_json("no-such-order")  # the pool's connection is open and has been used
    answered: list[int] = []

    async def look_up(arrival: int) -> None:
        await repository.get_json("no-such-order")
        answered.append(arrival)

    lookups = []
    for arrival in range(LOOKUPS):
        lookups.append(asyncio.create_task(look_up(arrival)))
        if arrival % ARRIVING_PER_PASS == ARRIVING_PER_PASS - 1:
            await asyncio.sleep(0)
    await asyncio.gather(*lookups)

    assert answered == sorted(answered), f"answered out of turn: {answered}"

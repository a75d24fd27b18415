"""PgOrderRepository.get_many against a real PostgreSQL: what announcements are checked against."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from app.adapters.pg_order_repository import PgOrderRepository
from app.entrypoints.connections import asyncpg_pool, opened_pool
from tests.serialized_orders import generated, ser


@pytest.fixture
async def repository(database_url: str) -> AsyncIterator[PgOrderRepository]:
    async with asynccontextmanager(opened_pool)(asyncpg_pool(database_url, max_size=2, command_timeout=10)) as pool:
        yield PgOrderRepository(pool)


async def test_the_stored_ones_come_back_in_storage_order_as_the_api_serves_them(
    repository: PgOrderRepository,
) -> None:
    orders = [ser(d) for d in generated(30, seed=11)]
    await repository.save(orders[:20])
    await repository.save(orders[20:])
    asked = [orders[25].uid, "never-stored", orders[3].uid, orders[29].uid, orders[0].uid, "x" * 64]
    found = await repository.get_many(asked)
    assert [o.uid for o in found] == [orders[0].uid, orders[3].uid, orders[25].uid, orders[29].uid]
    for order in found:
        assert order.json == await repository.get_json(order.uid), "the lookup's bytes"
        assert order.order == orders[[o.uid for o in orders].index(order.uid)].order
    assert [o.json for o in found] == [orders[n].json for n in (0, 3, 25, 29)]


async def test_none_asked_or_none_stored_is_empty(repository: PgOrderRepository) -> None:
    assert await repository.get_many([]) == []
    await repository.save([ser(d) for d in generated(2, seed=12)])
    assert await repository.get_many(["no-such-order", "nor-this"]) == []


async def test_a_thousand_asked_in_any_order_come_back_in_storage_order(repository: PgOrderRepository) -> None:
    orders = [ser(d) for d in generated(1000, seed=13)]
    await repository.save(orders)
    found = await repository.get_many([o.uid for o in reversed(orders)])
    assert [o.json for o in found] == [o.json for o in orders]

"""Concurrent saves on one PgOrderRepository keep arrival order, against a real PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.adapters.pg_order_repository import RESERVE_IDS, PgOrderRepository
from app.adapters.pg_order_rows import TABLE_COLUMNS, table_rows
from app.domain.document import SerializedOrder, serialize
from app.domain.validation import parse_order
from app.ports.order_repository import OrderNotStorable, SaveOutcome
from tests.serialized_orders import generated, incompressible, ser


def orders(count: int, seed: int) -> list[SerializedOrder]:
    return [ser(d) for d in generated(count, seed)]


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=4, max_size=4)
    yield pool
    await pool.close()


async def ids(pool: asyncpg.Pool) -> dict[str, int]:
    return {row[0]: row[1] for row in await pool.fetch("SELECT order_uid, id FROM orders")}


async def test_ids_follow_the_order_of_the_calls_not_of_the_statements(pool: asyncpg.Pool) -> None:
    repository = PgOrderRepository(pool)
    big, small, smaller = orders(400, seed=1), orders(2, seed=2), orders(1, seed=3)

    saves = [asyncio.create_task(repository.save(batch)) for batch in (big, small, smaller)]
    outcomes = await asyncio.gather(*saves)

    assert all(set(o.values()) == {SaveOutcome.STORED} for o in outcomes)
    stored = await ids(pool)
    assert [stored[o.uid] for o in big] == sorted(stored[o.uid] for o in big), "within a batch too"
    assert max(stored[o.uid] for o in big) < min(stored[o.uid] for o in small)
    assert max(stored[o.uid] for o in small) < stored[smaller[0].uid]


async def test_a_later_batch_is_committed_only_after_the_earlier_one(pool: asyncpg.Pool) -> None:
    repository = PgOrderRepository(pool)
    big, small = orders(400, seed=4), orders(1, seed=5)
    saving_big = asyncio.create_task(repository.save(big))
    saving_small = asyncio.create_task(repository.save(small))

    await saving_small

    assert len(await ids(pool)) == 401, "the big batch was committed before the small one returned"
    assert set((await saving_big).values()) == {SaveOutcome.STORED}


async def test_an_earlier_batch_that_fails_does_not_hold_up_the_next(pool: asyncpg.Pool) -> None:
    repository = PgOrderRepository(pool)
    refused, fine = orders(2, seed=6), orders(3, seed=7)
    huge_track = incompressible(5_000)  # over the btree row limit
    refused[1] = serialize(
        parse_order(refused[1].json.replace(refused[1].order.track_number.encode(), huge_track.encode(), 1))
    )

    failing = asyncio.create_task(repository.save(refused))
    following = asyncio.create_task(repository.save(fine))

    with pytest.raises(OrderNotStorable):
        await failing
    assert await asyncio.wait_for(following, 10) == {o.uid: SaveOutcome.STORED for o in fine}
    assert set(await ids(pool)) == {o.uid for o in fine}


@pytest.mark.parametrize("same_content", [True, False])
async def test_a_uid_another_writer_commits_during_the_copy_is_read_again(
    pool: asyncpg.Pool,
    database_url: str,
    same_content: bool,
) -> None:
    """The other writer's rows are uncommitted when the save reads, so its COPY waits on the key, then fails."""
    (mine,) = orders(1, seed=8)
    theirs = mine if same_content else serialize(parse_order(mine.json.replace(b'"entry":"', b'"entry":"X', 1)))
    other_writer = await asyncpg.connect(database_url)
    try:
        transaction = other_writer.transaction()
        await transaction.start()
        ids = await other_writer.fetchval(RESERVE_IDS, 1)
        for table, rows in table_rows([(ids[0], theirs)]).items():
            await other_writer.copy_records_to_table(table, records=rows, columns=TABLE_COLUMNS[table])
        saving = asyncio.create_task(PgOrderRepository(pool).save([mine]))
        await until_waiting_on_a_lock(pool)
        await transaction.commit()
        outcome = await asyncio.wait_for(saving, 10)
    finally:
        await other_writer.close()

    assert outcome == {mine.uid: SaveOutcome.DUPLICATE if same_content else SaveOutcome.CONFLICT}
    assert await pool.fetchval("SELECT count(*) FROM items") == len(theirs.order.items)


async def until_waiting_on_a_lock(pool: asyncpg.Pool) -> None:
    for _ in range(500):
        if await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the save never waited for the other writer's key")

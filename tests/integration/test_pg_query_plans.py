"""Each query the service runs per request or per batch reads about as many rows as it returns.

Against 200,000 stored orders (``bench.bulk_orders``), EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
of each query as the repository sends it, with the plan PostgreSQL makes for those values
(custom) and the one a prepared statement may switch to (generic): no sequential scan on a big
table, and no scan reading far more rows than the query returns (what an index scan reads
shows in its actual rows, so one that runs on from the wrong end shows there). A table twice as
big would cost these queries nothing more.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import orjson
import pytest

from app.adapters.pg_order_repository import (
    COUNT_ORDERS,
    RECENT_BOUND,
    RESERVE_IDS,
    SELECT_BY_IDS,
    SELECT_ONE,
    SELECT_PAGES,
    SELECT_RECENT,
    STORED_IDS,
)
from app.domain.model import INT64_MAX
from app.domain.validation import parse_order
from bench.bulk_orders import seed_orders
from tests.servers import create_database, drop_database

ORDERS = 200_000
CUSTOMERS = 1000  # 200 orders each
BIG_TABLES = {"orders", "deliveries", "payments", "items"}
ROWS_PER_ROW = 6  # an order has one row in three tables and up to five items
BUFFERS_PER_ROW = 20  # a lookup by index in each of the four tables: a few pages each
SLACK = 64  # index pages and one-row lookups


def uid(number: int) -> str:
    return f"bulk{number:010d}"


def track(number: int) -> str:
    return f"WBILBULK{number:010d}"


@pytest.fixture(scope="module")
def seeded_url(postgres_server_url: str, template_database: str) -> Iterator[str]:
    async def seeded() -> str:
        url = await create_database(postgres_server_url, template=template_database)
        conn = await asyncpg.connect(url)
        try:
            await seed_orders(conn, ORDERS, customers=CUSTOMERS)
        finally:
            await conn.close()
        return url

    url = asyncio.run(seeded())
    yield url
    asyncio.run(drop_database(postgres_server_url, url))


@pytest.fixture(params=["force_custom_plan", "force_generic_plan"])
async def conn(seeded_url: str, request: pytest.FixtureRequest) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(seeded_url, server_settings={"plan_cache_mode": request.param})
    try:
        yield connection
    finally:
        await connection.close()


async def plan(conn: asyncpg.Connection, query: str, *args: object) -> dict[str, Any]:
    explained = await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, *args)
    return orjson.loads(explained)[0]["Plan"]


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def excess(top: dict[str, Any], work: int) -> list[str]:
    """What in the plan reads more than ``work`` rows call for (the rows returned, or asked for)."""
    found = []
    allowed = ROWS_PER_ROW * work + SLACK
    for node in nodes(top):
        table, kind = node.get("Relation Name"), node["Node Type"]
        if table not in BIG_TABLES:
            continue
        where = f"{kind} on {table}"
        read = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        if kind == "Seq Scan":
            found.append(f"{where}: reads the whole table")
        if read > allowed:  # an index scan without a bound stops early only under a LIMIT
            found.append(f"{where}: {read} rows read for {work}")
    buffers = top["Shared Hit Blocks"] + top["Shared Read Blocks"]
    if buffers > BUFFERS_PER_ROW * work + SLACK:
        found.append(f"{buffers} buffers for {work} rows")
    return found


async def check(conn: asyncpg.Connection, query: str, *args: object, work: int | None = None) -> int:
    """The rows the query returned; fails on any excess."""
    top = await plan(conn, query, *args)
    returned = top["Actual Rows"]
    assert excess(top, returned if work is None else work) == []
    return returned


async def test_a_lookup_by_uid_reads_one_order(conn: asyncpg.Connection) -> None:
    assert await check(conn, SELECT_ONE, uid(123_456)) == 1
    assert await check(conn, SELECT_ONE, "no-such-uid") == 0


async def test_the_insert_paths_read_of_stored_uids_reads_those_orders(conn: asyncpg.Connection) -> None:
    batch = [uid(n) for n in range(50_000, 50_500)] + [f"new-{n}" for n in range(500)]
    assert await check(conn, STORED_IDS, batch, work=500) == 1
    ids = await conn.fetchval(STORED_IDS, batch)
    assert await check(conn, SELECT_BY_IDS, ids) == 500
    assert await check(conn, RESERVE_IDS, 1000, work=1000) == 1  # a read of the sequence per id


async def test_the_warm_up_reads_the_orders_it_caches(conn: asyncpg.Connection) -> None:
    limit = 10_000
    top = await plan(conn, RECENT_BOUND, limit)
    assert excess(top, limit) == []
    bound = await conn.fetchval(RECENT_BOUND, limit)
    assert await check(conn, SELECT_RECENT, bound) == limit


@pytest.mark.parametrize("before", [INT64_MAX, 100_000, 300])
async def test_every_listing_page_reads_its_page(conn: asyncpg.Connection, before: int) -> None:
    customer, number = "customer7", 150_007  # an order of customer7
    pages = {
        (False, False): (before,),
        (True, False): (before, customer),
        (False, True): (before, track(number)),
        (True, True): (before, customer, track(number)),
    }
    for (by_customer, by_track), args in pages.items():
        # A filter's page may be read whole and sorted when the planner expects few matching
        # orders below the bound (a customer's 100 here): what its index selects, not the table.
        where = ["id < $1"] + ["customer_id = $2"] * by_customer + [f"track_number = ${len(args)}"] * by_track
        matching = await conn.fetchval(f"SELECT count(*) FROM orders WHERE {' AND '.join(where)}", *args)
        returned = await check(conn, SELECT_PAGES[by_customer, by_track], *args, 50, work=min(matching, 200))
        assert returned == min(matching, 50)


async def test_the_counter_reads_its_slots(conn: asyncpg.Connection) -> None:
    assert await check(conn, COUNT_ORDERS) == 1
    assert await conn.fetchval(COUNT_ORDERS) == ORDERS


async def test_the_seeded_orders_are_valid_orders(conn: asyncpg.Connection) -> None:
    from app.adapters.pg_order_columns import json_from_row

    row = await conn.fetchrow(SELECT_ONE, uid(42))
    assert row is not None
    assert parse_order(json_from_row(row)).order_uid == uid(42)


async def test_the_check_catches_the_warm_up_that_read_whole_tables(conn: asyncpg.Connection) -> None:
    """The warm-up's former single statement: its bound, an InitPlan, left deliveries and payments unbounded."""
    former = SELECT_RECENT.replace(
        "o.id >= $1 AND d.order_id >= $1 AND p.order_id >= $1",
        "o.id >= (SELECT coalesce(min(id), 0) FROM (SELECT id FROM orders ORDER BY id DESC LIMIT $1) r)",
    )
    top = await plan(conn, former, 10_000)
    assert any("deliveries" in problem or "payments" in problem for problem in excess(top, top["Actual Rows"]))

"""Paging through 1,000 stored orders while new ones keep arriving: no gaps, no repeats.

The 1,000 go straight into the database through the repository (the fastest
way to have them stored); a background task keeps storing new orders the same
way while the test follows ``next_cursor`` with ``limit=37``.
"""

import asyncio
import contextlib

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from app.adapters.pg_order_repository import PgOrderRepository
from app.domain.document import serialize
from app.domain.order_factory import OrderFactory
from app.domain.validation import parse_order
from tests.e2e.helpers import eventually, start_client

ORIGINAL, PAGE = 1000, 37


@pytest.fixture
async def repository(settings):
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=3)
    yield PgOrderRepository(pool)
    await pool.close()


@pytest.fixture
async def client(aiohttp_client, settings) -> TestClient:
    client = await start_client(aiohttp_client, settings)
    await eventually(lambda: _ready(client), 30, "readiness")
    return client


async def _ready(client: TestClient) -> bool:
    return (await client.get("/readyz")).status == 200


def serialized(factory: OrderFactory, count: int) -> list:
    return [serialize(parse_order(orjson.dumps(factory.order()))) for _ in range(count)]


async def keep_inserting(repository: PgOrderRepository, inserted: list[str], stop: asyncio.Event) -> None:
    factory = OrderFactory(seed=2)
    while not stop.is_set():
        batch = serialized(factory, 3)
        await repository.save(batch)
        inserted += [o.uid for o in batch]
        await asyncio.sleep(0.002)


async def test_paging_under_concurrent_inserts_sees_every_order_once(client, repository, settings) -> None:
    originals = serialized(OrderFactory(seed=1), ORIGINAL)
    for start in range(0, ORIGINAL, 250):
        await repository.save(originals[start : start + 250])
    original_uids = {o.uid for o in originals}
    inserted: list[str] = []
    stop = asyncio.Event()
    inserter = asyncio.create_task(keep_inserting(repository, inserted, stop))
    await eventually(lambda: _true(len(inserted) >= 3), what="inserts under way")

    pages: list[list[str]] = []
    inserted_at_page: list[int] = []  # how many inserts had committed when each page came back
    committed_before_paging = list(inserted)
    cursor = None
    try:
        while True:
            query = f"limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
            response = await client.get(f"/api/orders?{query}")
            assert response.status == 200, await response.text()
            body = await response.json()
            pages.append([item["order_uid"] for item in body["items"]])
            inserted_at_page.append(len(inserted))
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await inserter

    listed = [uid for page in pages for uid in page]
    assert len(listed) == len(set(listed)), "an order was listed twice"
    assert original_uids <= set(listed), f"{len(original_uids - set(listed))} stored orders were never listed"
    assert not set(listed) - original_uids - set(inserted), "listed an order nobody stored"
    assert set(committed_before_paging) <= set(listed), "an order stored before paging began was missed"
    later = {uid for page in pages[1:] for uid in page}
    newer = set(inserted[inserted_at_page[0] :])  # committed after the first page was read
    assert not later & newer, "an order stored while paging showed up below the first page"
    assert all(len(page) == PAGE for page in pages[:-1])
    assert inserted_at_page[-1] - inserted_at_page[0] >= 3 * 5, "the inserter should have kept going"
    ids = await _ids(settings.database_url)
    assert [ids[uid] for uid in listed] == sorted((ids[uid] for uid in listed), reverse=True)


async def _true(value: bool) -> bool:
    return value


async def _ids(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        return {row[0]: row[1] for row in await conn.fetch("SELECT order_uid, id FROM orders")}
    finally:
        await conn.close()

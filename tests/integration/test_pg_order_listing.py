"""PgOrderRepository.list_json against a real PostgreSQL: newest first, keyset pages, exact filters."""

import copy
import json
from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.adapters.pg_order_repository import PgOrderRepository
from app.domain.document import SerializedOrder
from app.domain.order_factory import OrderFactory
from tests.serialized_orders import NOW, ser


@pytest.fixture
async def repository(database_url: str) -> AsyncIterator[PgOrderRepository]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    yield PgOrderRepository(pool)
    await pool.close()


@pytest.fixture
def orders() -> list[SerializedOrder]:
    """30 orders; customers c0..c2 and tracks t0..t4 so that both filters and their mix select some."""
    factory = OrderFactory(7, now=NOW)
    documents = []
    for n in range(30):
        document = factory.order()
        document["customer_id"], document["track_number"] = f"c{n % 3}", f"t{n % 5}"
        documents.append(document)
    return [ser(d) for d in documents]


async def store_one_by_one(repository: PgOrderRepository, orders: list[SerializedOrder]) -> None:
    for order in orders:  # one save per order: storage order is list order
        await repository.save([order])


async def test_first_page_is_newest_first_with_full_documents(repository, orders) -> None:
    await store_one_by_one(repository, orders)

    page = await repository.list_json(10)

    assert [body for _, body in page] == [o.json for o in reversed(orders[-10:])]
    ids = [id_ for id_, _ in page]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 10


async def test_pages_below_a_cursor_cover_everything_once(repository, orders) -> None:
    await store_one_by_one(repository, orders)

    seen: list[bytes] = []
    before = None
    while True:
        page = await repository.list_json(7, before_id=before)
        seen += [body for _, body in page]
        if len(page) < 7:
            break
        before = page[-1][0]

    assert seen == [o.json for o in reversed(orders)]


@pytest.mark.parametrize(("customer", "track"), [("c1", None), (None, "t3"), ("c2", "t2"), ("nobody", None)])
async def test_exact_match_filters(repository, orders, customer, track) -> None:
    await store_one_by_one(repository, orders)

    page = await repository.list_json(100, customer_id=customer, track_number=track)

    expected = [
        o.json
        for o in reversed(orders)
        if customer in (None, o.order.customer_id) and track in (None, o.order.track_number)
    ]
    assert [body for _, body in page] == expected


async def test_filters_page_too(repository, orders) -> None:
    await store_one_by_one(repository, orders)

    first = await repository.list_json(4, customer_id="c0")
    rest = await repository.list_json(100, before_id=first[-1][0], customer_id="c0")

    assert [b for _, b in first + rest] == [o.json for o in reversed(orders) if o.order.customer_id == "c0"]


async def test_empty_store_and_cursor_below_everything(repository, orders) -> None:
    assert await repository.list_json(20) == []
    await store_one_by_one(repository, orders[:3])
    oldest_id = (await repository.list_json(3))[-1][0]

    assert await repository.list_json(20, before_id=oldest_id) == []
    assert await repository.list_json(20, before_id=0) == []


async def test_documents_equal_what_get_json_returns(repository, orders) -> None:
    odd = copy.deepcopy(json.loads(orders[0].json))
    odd["order_uid"], odd["delivery"]["name"] = "odd-one", 'Ünïcødé "quoted" ✓'
    await store_one_by_one(repository, [*orders[:5], ser(odd)])

    for _, body in await repository.list_json(6):
        uid = json.loads(body)["order_uid"]
        assert body == await repository.get_json(uid)

"""PgOrderRepository against a real PostgreSQL: one fresh migrated database per test."""

import copy
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson
import pytest

from app.adapters.pg_order_repository import PgOrderRepository
from app.domain.document import SerializedOrder
from app.domain.model import INT64_MAX
from app.embedded.free_port import free_tcp_port
from app.entrypoints.connections import asyncpg_pool, opened_pool
from app.ports.order_repository import OrderNotStorable, SaveOutcome, StorageUnavailable
from tests.serialized_orders import generated, incompressible, ser

TABLES = ("orders", "deliveries", "payments", "items")


def changed(document: dict) -> dict:
    """Same order_uid, different content (and one item more, so its rows would show)."""
    other = copy.deepcopy(document)
    other["delivery"]["city"] += " (moved)"
    extra = copy.deepcopy(other["items"][0])
    extra["rid"] = "extra-item-rid"
    other["items"].append(extra)
    other["payment"]["goods_total"] += extra["total_price"]
    other["payment"]["amount"] += extra["total_price"]
    return other


async def row_counts(pool: asyncpg.Pool) -> dict[str, int]:
    async with pool.acquire() as conn:
        return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}


async def collect(repository: PgOrderRepository, limit: int) -> list[tuple[str, bytes]]:
    return [pair async for pair in repository.recent_json(limit)]


async def assert_stored_json(repository: PgOrderRepository, orders: Sequence[SerializedOrder]) -> None:
    for order in orders:
        assert await repository.get_json(order.uid) == order.json, order.uid


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The pool the service makes (its codecs and settings), of 4 connections."""
    unopened = asyncpg_pool(database_url, max_size=4, command_timeout=10)
    async with asynccontextmanager(opened_pool)(unopened) as pool:
        yield pool


@pytest.fixture
def repository(pool: asyncpg.Pool) -> PgOrderRepository:
    return PgOrderRepository(pool)


@pytest.fixture
def batch(sample: dict) -> list[SerializedOrder]:
    """50 generated orders and the canonical sample."""
    return [ser(d) for d in generated(50, seed=1)] + [ser(sample)]


async def test_batch_is_stored_and_reads_back_byte_for_byte(
    repository: PgOrderRepository,
    batch: list[SerializedOrder],
    sample: dict,
    sample_bytes: bytes,
) -> None:
    assert len({o.uid for o in batch}) == 51

    outcomes = await repository.save(batch)

    assert outcomes == {o.uid: SaveOutcome.STORED for o in batch}
    await assert_stored_json(repository, batch)
    sample_json = await repository.get_json(sample["order_uid"])
    assert sample_json is not None
    assert orjson.loads(sample_json) == json.loads(sample_bytes)


async def test_rows_are_normalized(
    repository: PgOrderRepository,
    pool: asyncpg.Pool,
    batch: list[SerializedOrder],
) -> None:
    await repository.save(batch)

    total_items = sum(len(o.order.items) for o in batch)
    assert total_items > len(batch)  # the factory makes 1..5 items: the count below is meaningful
    assert await row_counts(pool) == {"orders": 51, "deliveries": 51, "payments": 51, "items": total_items}
    async with pool.acquire() as conn:
        per_order: dict[str, int] = dict(
            await conn.fetch(  # type: ignore[arg-type]  # a Record is a (uid, count) pair
                "SELECT o.order_uid, count(*) FROM items i JOIN orders o ON o.id = i.order_id GROUP BY o.order_uid"
            )
        )
        positions = await conn.fetch(
            "SELECT order_id, array_agg(position ORDER BY position) FROM items GROUP BY order_id"
        )
    assert per_order == {o.uid: len(o.order.items) for o in batch}
    assert all(list(p) == list(range(len(p))) for _, p in positions)


async def test_saving_the_same_batch_again_is_all_duplicates(
    repository: PgOrderRepository,
    pool: asyncpg.Pool,
    batch: list[SerializedOrder],
) -> None:
    await repository.save(batch)
    before = await row_counts(pool)

    again = await repository.save([ser(orjson.loads(o.json)) for o in batch])

    assert again == {o.uid: SaveOutcome.DUPLICATE for o in batch}
    assert await row_counts(pool) == before
    await assert_stored_json(repository, batch)


async def test_a_changed_version_is_a_conflict_and_the_first_version_stays(
    repository: PgOrderRepository,
    pool: asyncpg.Pool,
    batch: list[SerializedOrder],
    sample: dict,
) -> None:
    await repository.save(batch)
    before = await row_counts(pool)
    first = ser(sample)
    second = ser(changed(sample))
    assert second.uid == first.uid and second.json != first.json

    assert await repository.save([second]) == {first.uid: SaveOutcome.CONFLICT}

    assert await repository.get_json(first.uid) == first.json
    assert await row_counts(pool) == before


async def test_a_mixed_batch_gets_an_outcome_per_order(
    repository: PgOrderRepository,
    pool: asyncpg.Pool,
) -> None:
    docs = generated(6, seed=2)
    old_a, old_b, old_c, new_d, new_e, new_f = [ser(d) for d in docs]
    await repository.save([old_a, old_b, old_c])
    conflict_b = ser(changed(docs[1]))

    outcomes = await repository.save([new_d, old_a, conflict_b, new_e, old_c, new_f])

    assert outcomes == {
        new_d.uid: SaveOutcome.STORED,
        old_a.uid: SaveOutcome.DUPLICATE,
        conflict_b.uid: SaveOutcome.CONFLICT,
        new_e.uid: SaveOutcome.STORED,
        old_c.uid: SaveOutcome.DUPLICATE,
        new_f.uid: SaveOutcome.STORED,
    }
    await assert_stored_json(repository, [old_a, old_b, old_c, new_d, new_e, new_f])
    items = sum(len(o.order.items) for o in (old_a, old_b, old_c, new_d, new_e, new_f))
    assert await row_counts(pool) == {"orders": 6, "deliveries": 6, "payments": 6, "items": items}


async def test_unknown_uid_is_none(repository: PgOrderRepository, sample: dict) -> None:
    assert await repository.get_json("no-such-order") is None
    await repository.save([ser(sample)])
    assert await repository.get_json("no-such-order") is None
    assert await repository.get_json(sample["order_uid"]) is not None


async def test_recent_json_gives_the_latest_oldest_first(repository: PgOrderRepository) -> None:
    orders = [ser(d) for d in generated(6, seed=3)]
    first, second, third = orders[:2], orders[2:5], orders[5:]
    for part in (first, second, third):
        assert set((await repository.save(part)).values()) == {SaveOutcome.STORED}
    by_uid = {o.uid: o.json for o in orders}

    latest_four = await collect(repository, 4)
    assert [uid for uid, _ in latest_four][-1] == third[0].uid
    assert {uid for uid, _ in latest_four[:3]} == {o.uid for o in second}
    assert all(body == by_uid[uid] for uid, body in latest_four)

    assert await collect(repository, 1) == [(third[0].uid, third[0].json)]

    everything = await collect(repository, 100)
    assert len(everything) == 6
    assert {uid for uid, _ in everything[:2]} == {o.uid for o in first}
    assert {uid for uid, _ in everything[2:5]} == {o.uid for o in second}
    assert everything[5] == (third[0].uid, third[0].json)
    assert all(body == by_uid[uid] for uid, body in everything)


async def test_recent_json_of_an_empty_store_is_empty(repository: PgOrderRepository) -> None:
    assert await collect(repository, 10) == []


async def test_non_ascii_text_and_int64_limits_round_trip(
    repository: PgOrderRepository,
    sample: dict,
) -> None:
    doc = copy.deepcopy(sample)
    doc["order_uid"] = "unicode-and-int64"
    doc["delivery"]["name"] = "Тест Тестов 🚀"
    doc["delivery"]["city"] = 'Кирьят-Моцкин "quoted" back\\slash\ttab\u2028sep'
    doc["delivery"]["address"] = "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧 日本語"
    doc["customer_id"] = "клиент"
    item = doc["items"][0]
    item.update(
        name="Тушь для ресниц 💄",
        brand="Вивьен Сабо",
        price=INT64_MAX,
        total_price=INT64_MAX,
        chrt_id=INT64_MAX,
        nm_id=INT64_MAX,
        sale=INT64_MAX,
        status=INT64_MAX,
    )
    doc["payment"].update(amount=INT64_MAX, goods_total=INT64_MAX, delivery_cost=0, custom_fee=0, payment_dt=INT64_MAX)
    doc["sm_id"] = INT64_MAX
    doc["date_created"] = "2021-11-26T09:22:19.123456+03:00"
    order = ser(doc)

    assert await repository.save([order]) == {order.uid: SaveOutcome.STORED}

    body = await repository.get_json(order.uid)
    assert body == order.json
    back = orjson.loads(body)
    assert back["delivery"]["name"] == "Тест Тестов 🚀"
    assert back["delivery"]["address"] == doc["delivery"]["address"]
    assert back["items"][0]["price"] == INT64_MAX and back["sm_id"] == INT64_MAX
    assert back["date_created"] == "2021-11-26T06:22:19.123456Z"
    assert await collect(repository, 1) == [(order.uid, order.json)]


@pytest.mark.parametrize(
    "created",
    [
        "0001-01-01T00:00:00Z",
        "1999-12-31T23:59:59.999999Z",
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:59:59.999999-00:00",
    ],
)
async def test_the_first_and_last_instants_round_trip(
    repository: PgOrderRepository,
    sample: dict,
    created: str,
) -> None:
    order = ser({**sample, "date_created": created})

    assert await repository.save([order]) == {order.uid: SaveOutcome.STORED}
    assert await repository.get_json(order.uid) == order.json
    assert orjson.loads(order.json)["date_created"] == created.replace("-00:00", "Z")


async def test_ping(repository: PgOrderRepository) -> None:
    await repository.ping()  # raises StorageUnavailable when the database does not answer


def _url_with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{port}"))


@pytest.fixture
async def dead_repository(database_url: str) -> AsyncIterator[PgOrderRepository]:
    """A repository whose pool points at a port nobody listens on."""
    pool = await asyncpg.create_pool(_url_with_port(database_url, free_tcp_port()), min_size=0, max_size=2, timeout=5)
    yield PgOrderRepository(pool)
    await pool.close()


async def test_an_unreachable_server_is_storage_unavailable(
    dead_repository: PgOrderRepository,
    sample: dict,
) -> None:
    with pytest.raises(StorageUnavailable) as saving:
        await dead_repository.save([ser(sample)])
    assert isinstance(saving.value.__cause__, OSError)
    with pytest.raises(StorageUnavailable):
        await dead_repository.get_json(sample["order_uid"])
    with pytest.raises(StorageUnavailable):
        await dead_repository.ping()
    with pytest.raises(StorageUnavailable):
        await collect(dead_repository, 10)


async def test_content_the_database_refuses_is_not_storable_and_nothing_is_committed(
    repository: PgOrderRepository,
    pool: asyncpg.Pool,
) -> None:
    good, huge = generated(2, seed=4)
    huge["track_number"] = incompressible(5_000)  # > 2704 bytes, < the 8 kB page
    good_order, huge_order = ser(good), ser(huge)  # the model allows it

    with pytest.raises(OrderNotStorable) as refused:
        await repository.save([good_order, huge_order])

    cause = refused.value.__cause__
    assert isinstance(cause, asyncpg.ProgramLimitExceededError)
    assert cause.sqlstate == "54000"
    assert "orders_track_number" in str(cause)
    assert await row_counts(pool) == dict.fromkeys(TABLES, 0)
    assert await repository.get_json(good_order.uid) is None
    # The pool and the repository are still fine: the good order alone goes in.
    assert await repository.save([good_order]) == {good_order.uid: SaveOutcome.STORED}
    assert await repository.get_json(good_order.uid) == good_order.json


async def test_recent_json_with_limit_zero_is_empty(repository: PgOrderRepository, sample: dict) -> None:
    await repository.save([ser(sample)])
    assert await collect(repository, 0) == []

"""End to end in one process: JetStream → validation → PostgreSQL → cache → JSON API."""

import functools

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from app.domain.order_factory import OrderFactory
from tests.e2e.helpers import dead_letters, eventually, publish, start_client


@pytest.fixture
async def client(aiohttp_client, settings) -> TestClient:
    client = await start_client(aiohttp_client, settings)

    async def ready() -> bool:
        return (await client.get("/readyz")).status == 200

    await eventually(ready, 30, "readiness")
    return client


async def stored(client: TestClient, uid: str) -> bool:
    return (await client.get(f"/api/orders/{uid}")).status == 200


async def test_published_orders_come_back_exactly(client, nc, settings, sample_bytes, sample) -> None:
    orders = [sample] + [OrderFactory(seed=n).order() for n in range(40)]
    await publish(nc, settings, sample_bytes, sample["order_uid"])
    for order in orders[1:]:
        await publish(nc, settings, orjson.dumps(order), order["order_uid"])

    for order in orders:
        uid = order["order_uid"]
        await eventually(functools.partial(stored, client, uid), what=uid)
        response = await client.get(f"/api/orders/{order['order_uid']}")
        assert response.content_type == "application/json"
        assert orjson.loads(await response.read()) == order
    body = await (await client.get(f"/api/orders/{sample['order_uid']}")).json()
    assert body["date_created"] == "2021-11-26T06:22:19Z"


async def test_bad_messages_are_dead_lettered_with_reason_and_never_served(client, nc, settings, sample) -> None:
    broken_sum = dict(sample, order_uid="broken-sum", payment=dict(sample["payment"], amount=1))
    wrong_type = dict(sample, order_uid="wrong-type", sm_id="99")
    bad = [b"{not json", orjson.dumps(broken_sum), orjson.dumps(wrong_type)]
    for body in bad:
        await publish(nc, settings, body)

    letters = await dead_letters(nc, settings, expected=3)

    assert [m.data for m in letters] == bad
    reasons = [m.headers["Orders-Error"] for m in letters]
    assert "not valid JSON" in reasons[0]
    assert reasons[1].startswith("payment.amount: must equal")
    assert reasons[2].startswith("sm_id: Input should be a valid integer")
    assert [m.headers["Orders-Subject"] for m in letters] == [settings.orders_subject] * 3
    assert [int(m.headers["Orders-Stream-Sequence"]) for m in letters] == [1, 2, 3]
    for uid in ("broken-sum", "wrong-type"):
        assert (await client.get(f"/api/orders/{uid}")).status == 404
    info = await nc.jetstream().consumer_info(settings.orders_stream, settings.orders_consumer)
    assert (info.num_ack_pending, info.num_pending) == (0, 0)  # terminated, not left to redeliver


async def test_duplicates_are_stored_once_and_a_conflict_keeps_the_first(client, nc, settings, sample) -> None:
    uid = sample["order_uid"]
    for n in range(3):  # distinct message ids get past the stream's own dedupe
        await publish(nc, settings, orjson.dumps(sample), f"{uid}-{n}")
    changed = dict(sample, customer_id="somebody-else")
    await publish(nc, settings, orjson.dumps(changed), f"{uid}-changed")

    letters = await dead_letters(nc, settings, expected=1)

    assert letters[0].headers["Orders-Error"].startswith(f"conflict: order_uid {uid}")
    assert orjson.loads(letters[0].data) == changed
    assert await (await client.get(f"/api/orders/{uid}")).json() == sample
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM orders WHERE order_uid = $1", uid) == 1
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM items i JOIN orders o ON o.id = i.order_id WHERE o.order_uid = $1", uid
            )
            == 1
        )
    finally:
        await conn.close()


async def test_lookup_errors_are_problem_json(client) -> None:
    missing = await client.get("/api/orders/no-such-order")
    malformed = await client.get("/api/orders/not%20a%20uid!")
    too_long = await client.get("/api/orders/" + "a" * 65)
    no_route = await client.get("/api/nothing-here")
    no_route_newline = await client.get("/api/nothing%0Ahere")  # the catch-all must match a newline too
    wrong_method = await client.delete("/healthz")

    for response, status in (
        (missing, 404),
        (malformed, 400),
        (too_long, 400),
        (no_route, 404),
        (no_route_newline, 404),
    ):
        assert response.status == status
        assert response.content_type == "application/problem+json"
        problem = await response.json()
        assert problem["status"] == status and problem["title"]
    assert wrong_method.status == 405 and wrong_method.content_type == "application/problem+json"
    assert set(wrong_method.headers["Allow"].split(",")) == {"GET", "HEAD"}


async def test_probes(client) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await (await client.get("/readyz")).json()
    assert ready["checks"] == dict.fromkeys(["migrations", "cache_warmed", "consumer", "nats", "database"], True)

"""The JSON API end to end, in one process: submit, list, errors as problems, metrics."""

import re

import orjson
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from app.domain.document import serialize
from app.domain.order_factory import OrderFactory
from app.domain.validation import parse_order
from tests.e2e.helpers import eventually, publish, start_client

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def client(aiohttp_client, settings) -> TestClient:
    client = await start_client(aiohttp_client, settings)
    await eventually(lambda: _status_is(client, "/readyz", 200), 30, "readiness")
    return client


def orders(count: int, seed: int = 0) -> list[dict]:
    factory = OrderFactory(seed=seed)
    return [factory.order() for _ in range(count)]


async def problem_of(response: ClientResponse, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    problem = await response.json(content_type=None)
    assert problem["status"] == status and problem["title"] and problem["type"]
    return problem


async def test_post_is_accepted_then_served(client) -> None:
    order = orders(1)[0]
    response = await client.post("/api/orders", data=orjson.dumps(order), headers=JSON)

    assert response.status == 202
    assert response.headers["Location"] == f"/api/orders/{order['order_uid']}"
    assert await response.json() == {"order_uid": order["order_uid"], "status": "accepted"}
    await eventually(lambda: _status_is(client, response.headers["Location"], 200), what="stored")
    assert await get_json(client, response.headers["Location"]) == order


async def _status_is(client: TestClient, path: str, status: int) -> bool:
    return (await client.get(path)).status == status


async def get_json(client: TestClient, path: str):
    return await (await client.get(path)).json()


async def test_post_with_wait_answers_with_the_stored_order(client) -> None:
    raw = b'{"unknown": "ignored", ' + orjson.dumps(orders(1, seed=1)[0])[1:]

    response = await client.post("/api/orders?wait=5", data=raw, headers=JSON)

    assert response.status == 201
    assert await response.read() == serialize(parse_order(raw)).json
    assert response.headers["Location"] == f"/api/orders/{parse_order(raw).order_uid}"


async def test_a_different_version_of_a_stored_order_is_a_conflict(client) -> None:
    order = orders(1, seed=2)[0]
    assert (await client.post("/api/orders?wait=5", data=orjson.dumps(order), headers=JSON)).status == 201
    again = await client.post("/api/orders?wait=5", data=orjson.dumps(order), headers=JSON)
    assert again.status == 201  # the same content again is fine: idempotent
    changed = dict(order, customer_id="somebody-else")

    for query in ("", "?wait=1"):
        response = await client.post("/api/orders" + query, data=orjson.dumps(changed), headers=JSON)
        assert (await problem_of(response, 409))["order_uid"] == order["order_uid"]
    assert await get_json(client, f"/api/orders/{order['order_uid']}") == order


async def test_an_invalid_order_lists_every_violation(client) -> None:
    order = orders(1, seed=3)[0]
    order["sm_id"] = "99"
    order["items"][0]["price"] = -1
    order["delivery"]["email"] = 5
    del order["locale"]

    response = await client.post("/api/orders", data=orjson.dumps(order), headers=JSON)

    problem = await problem_of(response, 422)
    paths = {error["path"] for error in problem["errors"]}
    assert paths == {"sm_id", "items[0].price", "delivery.email", "locale"}
    assert all(error["message"] for error in problem["errors"])
    rules = orders(1, seed=4)[0]
    rules["payment"]["amount"] += 2
    rules["payment"]["goods_total"] += 1
    response = await client.post("/api/orders", data=orjson.dumps(rules), headers=JSON)
    errors = (await problem_of(response, 422))["errors"]
    assert [e["path"] for e in errors] == ["payment.goods_total", "payment.amount"]


async def test_submission_errors_are_problems(client) -> None:
    body = orjson.dumps(orders(1, seed=5)[0])
    await problem_of(await client.post("/api/orders", data=body, headers={"Content-Type": "text/plain"}), 415)
    await problem_of(await client.post("/api/orders", data=body), 415)
    await problem_of(await client.post("/api/orders", data=b"x" * (1024 * 1024 + 1), headers=JSON), 413)
    await problem_of(await client.post("/api/orders", data=b"{not json", headers=JSON), 422)
    for wait in ("abc", "31", "-1", "nan", "1&wait=2"):
        problem = await problem_of(await client.post(f"/api/orders?wait={wait}", data=body, headers=JSON), 400)
        assert problem["parameter"] == "wait"
    await problem_of(await client.put("/api/orders", data=body, headers=JSON), 405)


async def test_listing_filters_and_pages(client, nc, settings) -> None:
    batch = orders(12, seed=6)
    for n, order in enumerate(batch):
        order["customer_id"] = "alice" if n % 3 == 0 else order["customer_id"]
        await publish(nc, settings, orjson.dumps(order), order["order_uid"])
    await eventually(lambda: _listed(client, 12), what="12 orders listed")

    assert await get_json(client, "/api/orders") == {"items": batch[::-1], "next_cursor": None}
    of_alice = [o for o in batch[::-1] if o["customer_id"] == "alice"]
    alice = await get_json(client, "/api/orders?customer_id=alice&limit=3")
    assert alice["items"] == of_alice[:3]
    rest = await get_json(client, f"/api/orders?customer_id=alice&cursor={alice['next_cursor']}")
    assert rest == {"items": of_alice[3:], "next_cursor": None}
    track = batch[5]["track_number"]
    assert (await get_json(client, f"/api/orders?track_number={track}"))["items"] == [batch[5]]
    nobody = await get_json(client, "/api/orders?customer_id=nobody&track_number=x")
    assert nobody == {"items": [], "next_cursor": None}


async def _listed(client: TestClient, count: int) -> bool:
    return len((await get_json(client, "/api/orders?limit=100"))["items"]) == count


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=1.5",
        "limit=%2B5",
        "limit=1&limit=2",
        "cursor=garbage",
        "cursor=AAAAAAAAAAB",
        "cursor=",
        "customer_id=a%00b",
    ],
)
async def test_bad_listing_parameters_are_problems(client, query) -> None:
    problem = await problem_of(await client.get(f"/api/orders?{query}"), 400)
    assert problem["parameter"] == query.split("=")[0]


async def test_metrics_are_exposed_and_move(client, nc, settings) -> None:
    def value(text: str, name: str) -> float:
        match = re.search(rf"^{name} (\S+)$", text, re.M)
        return float(match.group(1)) if match else 0.0

    before = await (await client.get("/metrics")).text()
    for order in orders(3, seed=7):
        await publish(nc, settings, orjson.dumps(order), order["order_uid"])
    await publish(nc, settings, b"{not json")
    await client.get("/api/orders/no-such-order")

    async def moved() -> bool:
        text = await (await client.get("/metrics")).text()
        return (
            value(text, "orders_ingested_total") >= value(before, "orders_ingested_total") + 3
            and 'orders_dead_lettered_total{reason="invalid"} 1.0' in text
        )

    await eventually(moved, what="ingested and dead-lettered counts up")
    text = await (await client.get("/metrics")).text()
    for name in (
        "orders_duplicates_total",
        "orders_conflicts_total",
        "orders_ingest_batch_size_bucket",
        "orders_ingest_batch_seconds_bucket",
        "orders_consumer_pending",
        "orders_cache_entries",
        "orders_cache_hits_total",
        "orders_cache_misses_total",
        "orders_cache_evictions_total",
    ):
        assert re.search(rf"^{name}[{{ ]", text, re.M), name
    assert re.search(
        r'^http_request_duration_seconds_count\{[^}]*route="/api/orders/\{order_uid\}"'
        r'[^}]*status="404"\} [1-9]',
        text,
        re.M,
    )


def _request_counts(text: str) -> dict[tuple[str, str, str], float]:
    counts = {}
    for labels, count in re.findall(r"^http_request_duration_seconds_count\{(.*)\} (\S+)$", text, re.M):
        label = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        counts[label["route"], label["method"], label["status"]] = float(count)
    return counts


async def test_request_durations_count_each_answer_by_route_method_and_status(client) -> None:
    order = orders(1, seed=11)[0]
    path = f"/api/orders/{order['order_uid']}"
    await client.post("/api/orders?wait=5", data=orjson.dumps(order), headers=JSON)  # stored and cached
    before = _request_counts(await (await client.get("/metrics")).text())

    for _ in range(3):
        assert (await client.get(path)).status == 200  # the hot path times itself
    assert (await client.head(path)).status == 200
    assert (await client.get("/api/orders/no-such-order")).status == 404
    assert (await client.get("/no/such/page")).status == 404  # the catch-all: the request's own method
    assert (await client.delete("/api/orders")).status == 405
    assert (await client.get("/healthz")).status == 200
    after = _request_counts(await (await client.get("/metrics")).text())

    def moved(route: str, method: str, status: int) -> float:
        return after.get((route, method, str(status)), 0) - before.get((route, method, str(status)), 0)

    assert moved("/api/orders/{order_uid}", "GET", 200) == 3
    assert moved("/api/orders/{order_uid}", "HEAD", 200) == 1
    assert moved("/api/orders/{order_uid}", "GET", 404) == 1
    assert moved("/{path}", "GET", 404) == 1
    assert moved("/{path}", "DELETE", 405) == 1
    assert moved("/healthz", "GET", 200) == 1
    assert moved("/metrics", "GET", 200) == 1  # the first scrape, timed once its body was made
    assert sum(after.values()) - sum(before.values()) == 9  # nothing else, nothing twice

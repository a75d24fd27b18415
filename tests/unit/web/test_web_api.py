"""The JSON API over fakes: lookups, the listing and submissions, every answer its status."""

import orjson
import pytest
from aiohttp import ClientResponse

from tests.unit.fake_container import Fakes
from tests.unit.sample import order_doc, serialized, to_bytes
from tests.unit.web.conftest import Client

JSON = {"Content-Type": "application/json"}


async def problem_of(response: ClientResponse, status: int) -> dict[str, object]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem: dict[str, object] = await response.json(content_type=None)
    assert problem["status"] == status
    return problem


@pytest.fixture
def fakes(fakes: Fakes) -> Fakes:
    fakes.repository.preload(*(serialized(order_doc(f"o{n}", customer_id=f"c{n % 2}")) for n in range(1, 6)))
    return fakes


async def test_a_cached_order_is_served_with_its_headers(client: Client, fakes: Fakes) -> None:
    response = await client.get("/api/orders/o3")
    assert response.status == 200 and response.content_type == "application/json"
    assert await response.read() == fakes.repository.orders["o3"].json
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert fakes.repository.calls["get_json"] == 0, "warmed: served from the cache"


async def test_an_order_not_cached_is_read_through(client: Client, fakes: Fakes, container: object) -> None:
    late = serialized(order_doc("late"))
    fakes.repository.preload(late)
    response = await client.get("/api/orders/late")
    assert response.status == 200 and await response.read() == late.json
    assert fakes.repository.calls["get_json"] == 1
    assert (await client.get("/api/orders/late")).status == 200
    assert fakes.repository.calls["get_json"] == 1, "the second read is a hit"


@pytest.mark.parametrize(("uid", "status"), [("nope", 404), ("bad%20uid", 400), ("x" * 65, 400)])
async def test_unknown_and_malformed_uids_are_problems(client: Client, uid: str, status: int) -> None:
    await problem_of(await client.get(f"/api/orders/{uid}"), status)


async def test_storage_down_is_503_for_a_miss_and_hits_still_work(client: Client, fakes: Fakes) -> None:
    fakes.repository.down = True
    await problem_of(await client.get("/api/orders/missing"), 503)
    await problem_of(await client.get("/api/orders"), 503)
    assert (await client.get("/api/orders/o1")).status == 200


async def test_the_listing_pages_newest_first_and_filters(client: Client) -> None:
    first = await (await client.get("/api/orders?limit=2")).json()
    assert [o["order_uid"] for o in first["items"]] == ["o5", "o4"]
    second = await (await client.get(f"/api/orders?limit=2&cursor={first['next_cursor']}")).json()
    assert [o["order_uid"] for o in second["items"]] == ["o3", "o2"]
    third = await (await client.get(f"/api/orders?limit=2&cursor={second['next_cursor']}")).json()
    assert [o["order_uid"] for o in third["items"]] == ["o1"] and third["next_cursor"] is None
    only = await (await client.get("/api/orders?customer_id=c1")).json()
    assert [o["order_uid"] for o in only["items"]] == ["o5", "o3", "o1"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "cursor=nope", "limit=1&limit=2"])
async def test_bad_listing_parameters_are_400(client: Client, query: str) -> None:
    await problem_of(await client.get(f"/api/orders?{query}"), 400)


async def test_a_submitted_order_is_published_as_sent_and_then_served(client: Client, fakes: Fakes) -> None:
    raw = to_bytes(order_doc("fresh"))
    response = await client.post("/api/orders", data=raw, headers=JSON)
    assert response.status == 202 and response.headers["Location"] == "/api/orders/fresh"
    assert fakes.publisher.published[0] == (raw, "fresh")


async def test_a_submission_that_waits_gets_the_stored_order(client: Client, fakes: Fakes) -> None:
    raw = to_bytes(order_doc("waited"))
    response = await client.post("/api/orders?wait=5", data=raw, headers=JSON)
    assert response.status == 201, await response.text()
    assert await response.read() == fakes.repository.orders["waited"].json


async def test_a_submission_is_refused_for_what_it_is(client: Client, fakes: Fakes) -> None:
    await problem_of(await client.post("/api/orders", data=b"{}", headers={"Content-Type": "text/plain"}), 415)
    invalid = await problem_of(await client.post("/api/orders", data=b'{"order_uid": 5}', headers=JSON), 422)
    assert isinstance(invalid["errors"], list) and len(invalid["errors"]) > 1
    other = order_doc("o1", customer_id="someone else")
    conflict = await client.post("/api/orders", data=to_bytes(other), headers=JSON)
    await problem_of(conflict, 409)
    assert conflict.headers["Location"] == "/api/orders/o1"
    await problem_of(await client.post("/api/orders?wait=31", data=to_bytes(order_doc("x")), headers=JSON), 400)
    fakes.publisher.down = True
    await problem_of(await client.post("/api/orders", data=to_bytes(order_doc("y")), headers=JSON), 503)
    assert [msg_id for _, msg_id in fakes.publisher.published] == []


async def test_an_oversized_body_is_413(client: Client) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    await problem_of(await client.post("/api/orders", data=body, headers=JSON), 413)


async def test_unknown_paths_and_methods_are_problems(client: Client) -> None:
    await problem_of(await client.get("/nowhere"), 404)
    response = await client.delete("/api/orders")
    await problem_of(response, 405)
    assert set(response.headers["Allow"].split(",")) >= {"GET", "POST"}


async def test_metrics_and_timings_are_exposed(client: Client) -> None:
    await client.get("/api/orders/o1")
    await client.get("/api/orders/nope")
    text = await (await client.get("/metrics")).text()
    assert 'http_request_duration_seconds_count{method="GET",route="/api/orders/{order_uid}",status="200"}' in text
    assert 'route="/api/orders/{order_uid}",status="404"' in text
    assert "orders_cache_entries 5.0" in text


async def test_the_openapi_document_describes_every_route(client: Client) -> None:
    document = orjson.loads(await (await client.get("/api/openapi.json")).read())
    assert {"/api/orders", "/api/orders/{order_uid}", "/orders/{order_uid}", "/static/{filename}"} <= set(
        document["paths"]
    )
    assert all("default" not in op["responses"] for path in document["paths"].values() for op in path.values())

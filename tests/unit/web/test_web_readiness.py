"""Until the service is ready, every route that needs it answers 503; the probes answer at once."""

import asyncio

import pytest

from tests.unit.fake_container import Fakes
from tests.unit.fakes import wait_until
from tests.unit.sample import order_doc, serialized, to_bytes
from tests.unit.web.conftest import Client

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def hold() -> asyncio.Event:
    """Set it to let the service finish starting."""
    return asyncio.Event()


@pytest.fixture
def fakes(fakes: Fakes, hold: asyncio.Event) -> Fakes:
    fakes.topology.hold = hold  # startup waits at the streams' setup
    fakes.repository.preload(serialized(order_doc("stored")))
    return fakes


async def test_routes_that_need_the_service_answer_503_until_it_is_ready(
    starting_client: Client, fakes: Fakes, hold: asyncio.Event
) -> None:
    client = starting_client
    for method, path in [("GET", "/api/orders/stored"), ("GET", "/api/orders"), ("HEAD", "/api/orders")]:
        response = await client.request(method, path)
        assert response.status == 503, (method, path)
        if method == "GET":
            assert response.content_type == "application/problem+json"
    response = await client.post("/api/orders", data=to_bytes(order_doc("new")), headers=JSON)
    assert response.status == 503 and fakes.publisher.published == []
    page = await client.get("/orders/stored")
    assert page.status == 503 and page.content_type == "text/html"

    hold.set()
    await wait_until(lambda: fakes.source.started)
    await wait_until(lambda: fakes.source.fetch_calls > 0)
    assert (await client.get("/api/orders/stored")).status == 200
    assert (await client.get("/orders/stored")).status == 200


async def test_probes_and_docs_answer_while_starting(
    starting_client: Client, fakes: Fakes, hold: asyncio.Event
) -> None:
    client = starting_client
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    problem = await ready.json(content_type=None)
    assert ready.status == 503 and problem["checks"]["consumer"] is False
    assert problem["checks"]["migrations"] is True  # the step before the streams' setup is done
    assert (await client.get("/api/openapi.json")).status == 200
    assert (await client.get("/metrics")).status == 200
    home = await client.get("/")
    assert home.status == 200 and "starting" in await home.text()

    hold.set()
    await wait_until(lambda: fakes.source.started)
    await wait_until(lambda: fakes.source.fetch_calls > 0)
    ready = await client.get("/readyz")
    assert ready.status == 200, await ready.text()

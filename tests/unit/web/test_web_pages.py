"""The pages and the live events over fakes."""

import asyncio

import orjson
import pytest

from tests.unit.fake_container import Fakes
from tests.unit.fakes import FakeMessage
from tests.unit.sample import order_doc, serialized, to_bytes
from tests.unit.web.conftest import Client

SEARCH_BOX = 'name="uid"'


@pytest.fixture
def fakes(fakes: Fakes) -> Fakes:
    fakes.repository.preload(*(serialized(order_doc(f"p{n}")) for n in range(1, 4)))
    return fakes


async def page(client: Client, path: str, status: int = 200) -> str:
    response = await client.get(path, allow_redirects=False)
    assert response.status == status, path
    assert response.content_type == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    return await response.text()


async def test_the_home_page_lists_the_latest_orders_with_their_counters(client: Client) -> None:
    html = await page(client, "/")
    assert html.index("p3") < html.index("p2") < html.index("p1")
    assert SEARCH_BOX in html and 'data-stat="cached">3<' in html


async def test_an_order_page_shows_the_order(client: Client) -> None:
    html = await page(client, "/orders/p2")
    assert "p2" in html and "/api/orders/p2" in html


async def test_the_search_form_leads_to_the_order(client: Client) -> None:
    response = await client.get("/orders?uid=%20p1%20", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/orders/p1"
    assert SEARCH_BOX in await page(client, "/orders?uid=not%20a%20uid", 400)


async def test_missing_orders_and_storage_outages_get_friendly_pages(client: Client, fakes: Fakes) -> None:
    assert SEARCH_BOX in await page(client, "/orders/unknown", 404)
    fakes.repository.down = True
    assert SEARCH_BOX in await page(client, "/orders/not-cached", 503)
    assert "cannot be reached" in await page(client, "/")
    assert "p1" in await page(client, "/orders/p1"), "a cached order still shows"


async def test_static_files_are_served_with_their_versions(client: Client) -> None:
    html = await page(client, "/")
    for name, media_type in [("style.css", "text/css"), ("live.js", "text/javascript")]:
        start = html.index(f"/static/{name}?v=")
        url = html[start : html.index('"', start)]
        response = await client.get(url)
        assert response.status == 200 and response.content_type == media_type
    icon = await client.get("/favicon.ico", allow_redirects=False)
    assert icon.status == 301 and icon.headers["Location"].startswith("/static/favicon.svg?v=")
    assert (await client.get("/static/nothing.css")).status == 404


async def test_live_events_carry_counters_then_each_stored_order(client: Client, fakes: Fakes) -> None:
    async with client.get("/events") as response:
        assert response.content_type == "text/event-stream"
        first = await response.content.readuntil(b"\r\n\r\n")
        assert b"event: stats" in first
        fakes.source.queue.append([FakeMessage(to_bytes(order_doc("live-1")))])
        event = b""
        while b"event: order" not in event:
            event = await asyncio.wait_for(response.content.readuntil(b"\r\n\r\n"), 5)
        data = next(line for line in event.split(b"\r\n") if line.startswith(b"data: "))
        assert orjson.loads(data.removeprefix(b"data: "))["order_uid"] == "live-1"

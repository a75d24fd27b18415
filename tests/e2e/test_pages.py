"""The web pages in one process: home, search, order page, friendly errors, headers, live events."""

import asyncio
import functools

import orjson
import pytest
from aiohttp.test_utils import TestClient

from app.domain.order_factory import OrderFactory
from app.entrypoints.web.security_headers import CONTENT_SECURITY_POLICY
from tests.e2e.helpers import eventually, publish, start_client

SEARCH_BOX = 'name="uid"'


@pytest.fixture
async def client(aiohttp_client, settings) -> TestClient:
    client = await start_client(aiohttp_client, settings)
    await eventually(lambda: _status_is(client, "/readyz", 200), 30, "readiness")
    return client


async def _status_is(client: TestClient, path: str, status: int) -> bool:
    return (await client.get(path)).status == status


async def stored(client, nc, settings, *orders: dict) -> None:
    for order in orders:
        await publish(nc, settings, orjson.dumps(order), order["order_uid"])
    for order in orders:
        path = f"/api/orders/{order['order_uid']}"
        await eventually(functools.partial(_status_is, client, path, 200), what="stored")


async def page(client: TestClient, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status == status, await response.text()
    assert response.content_type == "text/html"
    return await response.text()


async def test_home_lists_newest_orders_first_with_counters(client, nc, settings, sample) -> None:
    newer = OrderFactory(seed=7).order()
    await stored(client, nc, settings, sample)
    await stored(client, nc, settings, newer)

    html = await page(client, "/")

    for label in ("orders stored", "dead-lettered", "in cache", "cache hit ratio"):
        assert label in html
    assert 'data-stat="stored"' in html and 'action="/orders"' in html
    first, second = f'href="/orders/{newer["order_uid"]}"', f'href="/orders/{sample["order_uid"]}"'
    assert first in html and second in html and html.index(first) < html.index(second)
    assert '<script src="/static/live.js' in html and "<script>" not in html
    icon = await client.get("/favicon.ico", allow_redirects=False)
    assert icon.status == 301 and icon.headers["Location"].startswith("/static/favicon.svg")


async def test_search_form_works_without_javascript(client, nc, settings, sample) -> None:
    await stored(client, nc, settings, sample)
    uid = sample["order_uid"]

    found = await client.get(f"/orders?uid=+{uid}+", allow_redirects=False)
    assert (found.status, found.headers["Location"]) == (303, f"/orders/{uid}")
    assert 'class="items order-items"' in await page(client, f"/orders?uid={uid}")
    empty = await client.get("/orders?uid=", allow_redirects=False)
    assert (empty.status, empty.headers["Location"]) == (303, "/")
    assert SEARCH_BOX in await page(client, "/orders?uid=no%20spaces", 400)


async def test_order_page_reads_like_an_order(client, nc, settings, sample) -> None:
    await stored(client, nc, settings, sample)

    html = await page(client, f"/orders/{sample['order_uid']}")

    assert "1,817 USD" in html and "1,500 USD" in html and "453 USD" in html
    assert "26 Nov 2021, 06:22 UTC" in html  # payment_dt 1637907727 and date_created
    assert '<table class="items order-items">' in html
    for text in ("Mascaras", "Vivienne Sabo", "30%", "202", "WBILMTESTTRACK", "Test Testov", "meest"):
        assert text in html
    assert f'href="/api/orders/{sample["order_uid"]}"' in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/orders/no-such-order", 404),
        ("/orders/bad%21uid", 400),
        ("/orders/has/slash", 400),
        ("/orders/" + "x" * 65, 400),
        ("/orders/line%0Abreak", 400),  # a route pattern's '.' stops at a newline; the page's must not
    ],
)
async def test_unknown_or_malformed_uid_gets_a_friendly_page(client, path, status) -> None:
    html = await page(client, path, status)
    assert SEARCH_BOX in html and 'href="/"' in html


async def test_text_from_orders_and_urls_is_escaped(client, nc, settings, sample) -> None:
    evil = "<script>alert(1)</script>"
    order = dict(sample, order_uid="evil-order", customer_id=evil, delivery=dict(sample["delivery"], name=evil))
    order["items"] = [dict(sample["items"][0], name=evil, brand='"><img src=x onerror=alert(1)>')]
    await stored(client, nc, settings, order)

    for html in (await page(client, "/orders/evil-order"), await page(client, "/")):
        assert evil not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    bad_url = await page(client, "/orders/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400)
    assert evil not in bad_url and "&lt;script&gt;" in bad_url


async def test_security_headers_on_pages_api_and_static(client, nc, settings, sample) -> None:
    await stored(client, nc, settings, sample)
    paths = [
        "/",
        f"/orders/{sample['order_uid']}",
        "/orders/nope",
        f"/api/orders/{sample['order_uid']}",
        "/api/orders/nope",
        "/static/style.css",
        "/healthz",
        "/no-such-route",
    ]
    kinds = []
    for path in paths:
        response = await client.get(path)
        kinds.append(response.content_type.endswith("json"))
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        if response.content_type.endswith("json"):  # the API's answers and problems: nothing may run or frame
            assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'", path
            continue
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert headers["X-Frame-Options"] == "DENY"
        assert "camera=()" in headers["Permissions-Policy"]
        assert len(headers.getall("X-Frame-Options")) == 1
    assert kinds.count(True) >= 2 and kinds.count(False) >= 4, kinds  # both sets were checked


async def test_a_static_file_name_too_long_for_the_file_system_is_not_found(client) -> None:
    response = await client.get("/static/" + "a" * 300)  # longer than any file name (NAME_MAX: 255 bytes)

    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert (await response.json())["title"] == "Not Found"


async def _next_event(stream, kind: str) -> dict:
    """The data of the next event of this kind on an SSE stream."""
    event = None
    while True:
        line = (await stream.content.readline()).decode().rstrip("\r\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == kind:
            return orjson.loads(line.removeprefix("data: "))


async def test_events_stream_orders_published_after_connecting(client, nc, settings, sample) -> None:
    async with client.get("/events") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        stats = await asyncio.wait_for(_next_event(stream, "stats"), 10)
        assert {"stored", "dead_lettered", "cached", "hit_ratio"} <= stats.keys()

        await publish(nc, settings, orjson.dumps(sample), sample["order_uid"])
        order = await asyncio.wait_for(_next_event(stream, "order"), 20)

    assert order["order_uid"] == sample["order_uid"]
    assert (order["amount"], order["currency"], order["items"]) == (1817, "USD", 1)

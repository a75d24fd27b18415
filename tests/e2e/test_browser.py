"""The pages in a real browser: headless Debian Chromium (Playwright) against ``orders serve``.

Needs /usr/bin/chromium (``scripts/ensure-chromium.sh``, run by ``make test``);
skipped when it is missing.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
import pytest
from playwright.async_api import Page, ViewportSize, expect

from app.adapters.pg_order_repository import PgOrderRepository
from app.domain.order_factory import OrderFactory
from app.entrypoints.connections import asyncpg_pool, opened_pool
from tests.e2e.browser import chromium
from tests.e2e.helpers import eventually, publish
from tests.e2e.service_process import ServiceProcess
from tests.serialized_orders import ser

WAIT_MS = 20_000


@pytest.fixture
async def service(settings, tmp_path: Path) -> AsyncIterator[ServiceProcess]:
    process = ServiceProcess(settings, tmp_path / "service.log")
    process.start()
    try:
        await process.wait_ready(60)
        yield process
    finally:
        process.kill()


@pytest.fixture
async def page(service: ServiceProcess) -> AsyncIterator[tuple[Page, list[str]]]:
    """A browser page and the console messages and page errors it collects."""
    messages: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(WAIT_MS)
        page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
        yield page, messages


async def stored(service: ServiceProcess, uid: str) -> None:
    async def served() -> bool:
        return (await service.get(f"/api/orders/{uid}"))[0] == 200

    await eventually(served, what=uid)


async def test_a_person_finds_an_order_and_sees_new_ones_arrive(service, page, nc, settings, sample) -> None:
    page, messages = page
    await publish(nc, settings, orjson.dumps(sample), sample["order_uid"])
    await stored(service, sample["order_uid"])

    await page.goto(service.base_url + "/")
    await page.fill("#search-uid", sample["order_uid"])
    await page.click("form.search button[type=submit]")
    await page.wait_for_url(f"**/orders/{sample['order_uid']}")
    table = await page.text_content("table.items")
    assert "Mascaras" in table and "453 USD" in table and "317 USD" in table

    await page.goto(service.base_url + "/")
    await page.wait_for_selector('#live-status[data-state="on"]')
    await page.evaluate("window.notReloaded = true")
    new = OrderFactory(seed=99).order()
    await publish(nc, settings, orjson.dumps(new), new["order_uid"])
    await page.wait_for_selector(f'#recent-orders a[href="/orders/{new["order_uid"]}"]')
    assert await page.evaluate("window.notReloaded") is True
    await expect(page.locator('[data-stat="stored"]')).to_have_text("2", timeout=WAIT_MS)
    assert not [m for m in messages if m.startswith(("error", "pageerror"))], messages

    response = await page.goto(service.base_url + "/orders/not%20an%20order!")
    assert response is not None and response.status == 400
    assert await page.is_visible("#search-uid")
    assert "not an order number" in await page.text_content("h1")

    assert not [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m], messages


async def test_a_burst_says_how_many_orders_arrived_and_lists_the_latest(service, page, nc, settings) -> None:
    """300 orders at once, as another instance stores and announces them: one note with their count,
    the latest 20 listed."""
    page, messages = page
    await page.goto(service.base_url + "/")
    await page.wait_for_selector('#live-status[data-state="on"]')
    factory = OrderFactory(seed=300)
    burst = [factory.order() for _ in range(300)]
    pool = asyncpg_pool(settings.database_url, max_size=1, command_timeout=10)
    async with asynccontextmanager(opened_pool)(pool):
        await PgOrderRepository(pool).save([ser(order) for order in burst])  # the other instance's commit
    body = orjson.dumps([order["order_uid"] for order in burst])
    await nc.publish(settings.orders_stored_subject, body, headers={"Orders-Origin": "another-instance"})
    note = page.locator("#live-burst")
    await expect(note).to_have_text("300 new orders just arrived; the latest 20 are shown.", timeout=WAIT_MS)
    rows = page.locator("#recent-orders li")
    await expect(rows).to_have_count(20)
    assert await rows.first.get_attribute("data-uid") == burst[-1]["order_uid"]
    assert await rows.last.get_attribute("data-uid") == burst[-20]["order_uid"]
    assert not [m for m in messages if m.startswith(("error", "pageerror"))], messages


PHONE = ViewportSize(width=390, height=844)


def order_with_wide_items() -> dict:
    """An order of three items or more: one with a long unbroken name and brand, one with a price of 13 digits."""
    factory = OrderFactory(seed=5)
    order = factory.order()
    while len(order["items"]) < 3:
        order = factory.order()
    first, second = order["items"][:2]
    first["name"], first["brand"] = "Hyaluronicmoisturisingovernightcreamdeluxe", "Internationalcosmeticsmanufactory"
    second["price"] = 9_876_543_210_000
    second["total_price"] = second["price"] * (100 - second["sale"]) // 100
    payment = order["payment"]
    payment["goods_total"] = sum(item["total_price"] for item in order["items"])
    payment["amount"] = payment["goods_total"] + payment["delivery_cost"] + payment["custom_fee"]
    return order


async def test_on_a_phone_each_item_is_read_without_scrolling_sideways(service, nc, settings) -> None:
    """At 390 px the order page does not scroll sideways and every cell of every item is on screen, whole;
    on a desktop the items stay a table, one line each under the column headings."""
    order = order_with_wide_items()
    await publish(nc, settings, orjson.dumps(order), order["order_uid"])
    await stored(service, order["order_uid"])
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE)
        page.set_default_timeout(WAIT_MS)
        await page.goto(f"{service.base_url}/orders/{order['order_uid']}")
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        cells = page.locator("table.items tbody td")
        assert await cells.count() == 7 * len(order["items"])
        for index in range(await cells.count()):
            cell = cells.nth(index)
            box = await cell.bounding_box()
            what = f"{await cell.get_attribute('data-label')}: {await cell.text_content()} at {box}"
            assert await cell.is_visible(), what
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], what
            assert await cell.evaluate("cell => cell.scrollWidth <= cell.clientWidth"), f"cut: {what}"
        text = await page.text_content("table.items tbody") or ""
        currency = order["payment"]["currency"]
        for item in order["items"]:
            assert item["name"] in text and f"{item['total_price']:,} {currency}" in text, item
            assert str(item["status"]) in text, item

        await page.set_viewport_size({"width": 1280, "height": 800})
        assert await page.is_visible("table.items thead")
        for row in await page.locator("table.items tbody tr").all():
            tops = {round((await cell.bounding_box() or {"y": -1})["y"]) for cell in await row.locator("td").all()}
            assert len(tops) == 1, tops

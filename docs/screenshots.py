"""Screenshots of the web pages for the README: ``.venv/bin/python -m docs.screenshots``.

Starts embedded NATS and PostgreSQL in a temporary folder, the service as a
child process, publishes the sample order and a few generated ones, then has
headless Debian Chromium (``scripts/ensure-chromium.sh``) photograph ``/`` and
the sample order's page at desktop (1280×800) and phone (390×844) sizes, and on the
phone the items of the order that has the most, into ``docs/screenshots/``.
"""

import asyncio
import json
import tempfile
from pathlib import Path

import nats
from playwright.async_api import expect

from app.domain.order_factory import OrderFactory
from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres
from app.entrypoints.dev import sample_order
from tests.e2e.browser import chromium
from tests.e2e.helpers import eventually, publish
from tests.e2e.service_process import ROOT, ServiceProcess
from tests.servers import FAST_PG, isolated_settings, postgres_data_dir

OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
GENERATED = 14


async def _publish_orders(service: ServiceProcess, settings) -> list[dict]:
    sample = json.loads(sample_order())
    factory = OrderFactory(seed=2024)
    orders = [sample] + [factory.order() for _ in range(GENERATED)]
    nc = await nats.connect(settings.nats_url)
    try:
        for order in orders:
            await publish(nc, settings, json.dumps(order).encode(), order["order_uid"])
    finally:
        await nc.close()
    for order in orders:

        async def served(uid: str = order["order_uid"]) -> bool:
            return (await service.get(f"/api/orders/{uid}"))[0] == 200

        await eventually(served, 30, order["order_uid"])
    return orders


async def _photograph(base_url: str, uid: str, most_items_uid: str) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    async with chromium() as browser:
        for size, (width, height) in SIZES.items():
            page = await browser.new_page(viewport={"width": width, "height": height})
            await page.goto(base_url + "/")
            await page.wait_for_selector('#live-status[data-state="on"]')
            await expect(page.locator('[data-stat="stored"]')).to_have_text(str(GENERATED + 1))
            written.append(OUT / f"home-{size}.png")
            await page.screenshot(path=written[-1])
            await page.goto(f"{base_url}/orders/{uid}")
            written.append(OUT / f"order-{size}.png")
            await page.screenshot(path=written[-1])
            if size == "phone":
                await page.goto(f"{base_url}/orders/{most_items_uid}")
                written.append(OUT / f"order-items-{size}.png")
                await page.locator(".card", has=page.locator("table.items")).screenshot(path=written[-1])
            await page.close()
    return written


async def _take(workdir: Path, nats_url: str, database_url: str) -> list[Path]:
    settings = isolated_settings(nats_url, database_url)
    service = ServiceProcess(settings, workdir / "service.log")
    service.start()
    try:
        await service.wait_ready(60)
        orders = await _publish_orders(service, settings)
        await asyncio.sleep(2.5)  # let the stored/dead-lettered counters refresh once
        most_items = max(orders, key=lambda order: len(order["items"]))
        return await _photograph(service.base_url, orders[0]["order_uid"], most_items["order_uid"])
    finally:
        service.terminate()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp, postgres_data_dir() as pg_dir:
        workdir = Path(tmp)
        with (
            NatsServerProcess(workdir / "nats") as nats_server,
            PgserverPostgres(pg_dir, options=FAST_PG) as pg,
        ):
            for path in asyncio.run(_take(workdir, nats_server.url, pg.url)):
                print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

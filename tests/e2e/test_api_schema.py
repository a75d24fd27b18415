"""Schemathesis against ``/api/openapi.json`` of the service running as a real process.

Every operation of the document is exercised (positive and negative data, every
built-in check): no server error, and every response conforms to the document.
The endless event stream (``/events``) is read up to its first event. Schema-valid
order bodies are made to keep the rules JSON Schema cannot state (see
:func:`as_the_model_reads_it`), so that valid data is valid.
"""

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from playwright.async_api import expect

from app.domain.model import INT64_MAX
from app.entrypoints.web.openapi import BEARER
from tests.e2e.browser import chromium
from tests.e2e.service_process import ServiceProcess
from tests.servers import API_TOKEN, create_database, drop_database, isolated_settings

EXAMPLES = 40


@pytest.fixture(scope="module")
def service(postgres_server_url, template_database, nats_url, tmp_path_factory) -> Iterator[ServiceProcess]:
    database_url = asyncio.run(create_database(postgres_server_url, template=template_database))
    log = tmp_path_factory.mktemp("schema") / "service.log"
    process = ServiceProcess(isolated_settings(nats_url, database_url), Path(log))
    process.start()
    try:
        asyncio.run(process.wait_ready())
        yield process
    finally:
        process.terminate()
        asyncio.run(drop_database(postgres_server_url, database_url))


@pytest.fixture(scope="module")
def api_schema(service: ServiceProcess):
    config = schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": EXAMPLES},
            "request-timeout": 10,
            "max-stream-events": 1,  # /events never ends: its first event
            "auth": {"openapi": {BEARER: {"bearer": API_TOKEN}}},  # writes need it; ignored_auth checks the 401
        }
    )
    return schemathesis.openapi.from_url(service.base_url + "/api/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


def integral(value):
    """JSON Schema counts 5.0 as an integer; the strict model wants it written 5."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= INT64_MAX:
        return int(value)
    if isinstance(value, dict):
        return {key: integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral(item) for item in value]
    return value


def as_the_model_reads_it(case) -> None:
    """A positive (schema-valid) order body made to keep the rules JSON Schema cannot state.

    Integers written as integers, ``date_created`` within the years 1 to 9999 in UTC, and the
    money totals adding up without leaving bigint: the descriptions of ``Order``, its
    ``date_created`` and ``Payment`` in the document state these rules.
    """
    if not (case.meta and case.meta.generation.mode.is_positive and isinstance(case.body, dict)):
        return
    case.body = body = integral(case.body)
    created = body.get("date_created")
    if isinstance(created, str) and created[:4] in ("0001", "9999"):  # an offset could leave the range
        body["date_created"] = "2000" + created[4:]
    payment, items = body.get("payment"), body.get("items")
    if not isinstance(payment, dict) or not isinstance(items, list) or not items:
        return
    share = INT64_MAX // (len(items) + 2)
    for item in items:
        item["total_price"] = min(item["total_price"], share)
    payment["delivery_cost"] = min(payment["delivery_cost"], share)
    payment["custom_fee"] = min(payment["custom_fee"], share)
    payment["goods_total"] = sum(item["total_price"] for item in items)
    payment["amount"] = payment["goods_total"] + payment["delivery_cost"] + payment["custom_fee"]


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_conforms(case) -> None:
    if case.method.upper() == "POST" and case.operation.path == "/api/orders":
        as_the_model_reads_it(case)
    case.call_and_validate(allow_redirects=False)


async def test_the_docs_page_loads_only_its_own_files(service: ServiceProcess) -> None:
    async with aiohttp.ClientSession(service.base_url) as http:
        async with http.get("/api/docs") as response:
            assert response.status == 200 and response.content_type == "text/html"
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            html = await response.text()
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert scripts and all(not body.strip() and 'src="/api/docs/static/' in attrs for attrs, body in scripts)
        assert "style=" not in html and "<style" not in html and "://" not in html
        for link in re.findall(r'(?:src|href)="([^"]+)"', html):
            async with http.get(link) as asset:
                assert asset.status == 200, link
                assert asset.content_type in ("text/javascript", "text/css", "image/png"), link
        async with http.get("/api/openapi.json") as response:
            document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/orders", "/api/orders/{order_uid}", "/healthz", "/readyz", "/metrics"} <= set(document["paths"])


async def test_swagger_ui_renders_the_document_under_the_csp(service: ServiceProcess, tmp_path) -> None:
    messages: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
        await page.goto(service.base_url + "/api/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Order service", timeout=20_000)
        await expect(page.locator(".opblock-summary-path", has_text="/api/orders/{order_uid}")).to_be_visible()
        await page.screenshot(path=tmp_path / "api-docs.png", full_page=False)
    assert not [m for m in messages if m.startswith(("error", "pageerror"))], messages

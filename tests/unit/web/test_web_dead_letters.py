"""``/dead-letters`` over a fake archive: counts per kind, the latest letters escaped, no inline code."""

import re

from tests.unit.fake_container import Fakes
from tests.unit.web.conftest import Client


async def test_the_page_counts_by_kind_and_lists_the_latest_first(client: Client, fakes: Fakes) -> None:
    archive = fakes.dead_letter_archive
    archive.add(b"{bad", "invalid", "not valid JSON (expected value at line 1 column 2)")
    archive.add(b"{}", "conflict", "conflict: order_uid taken is already stored", uid="taken")
    archive.add(b"{}", "invalid", "payment.amount: must equal <script>alert(1)</script>", uid="<b>x</b>")

    response = await client.get("/dead-letters")

    assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    for kind, count in (("total", 3), ("invalid", 2), ("conflict", 1), ("unstorable", 0), ("unexpected", 0)):
        assert f'data-kind="{kind}">{count}<' in html, kind
    rows = re.findall(r'<td class="num mono">(\d+)</td>', html)
    assert rows == ["3", "2", "1"]
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "style=" not in html and re.findall(r"<script[^>]*>(.*?)</script>", html, re.S) == []
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_no_dead_letters_is_said_plainly(client: Client) -> None:
    html = await (await client.get("/dead-letters")).text()
    assert "No dead letters" in html and 'data-kind="total">0<' in html


async def test_an_unreadable_stream_gets_a_503_page(client: Client, fakes: Fakes) -> None:
    fakes.dead_letter_archive.down = True

    response = await client.get("/dead-letters")

    assert response.status == 503 and response.content_type == "text/html"
    assert "cannot be read right now" in await response.text()


async def test_the_page_is_in_the_openapi_document(client: Client) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    assert set(document["paths"]["/dead-letters"]["get"]["responses"]) == {"200", "503"}


async def test_the_home_page_counter_leads_to_the_page(client: Client) -> None:
    html = await (await client.get("/")).text()
    assert '<a class="stat-label" href="/dead-letters">dead-lettered</a>' in html

"""Who may write, and read when asked: bearer tokens, over fakes."""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse

from app.entrypoints.bootstrap import create_app
from tests.unit.fake_container import API_TOKEN, Fakes, fake_container
from tests.unit.fakes import wait_until
from tests.unit.sample import order_doc, serialized, to_bytes
from tests.unit.web.conftest import Client

JSON = {"Content-Type": "application/json"}
MakeClient = Callable[..., Any]


@pytest.fixture
def make_client(aiohttp_client: Any, fakes: Fakes) -> MakeClient:
    """A ready app built with these settings, and a client that sends no token of its own."""
    fakes.repository.preload(serialized(order_doc("stored")))

    async def make(**settings: Any) -> Client:
        container = fake_container(fakes, ingest_fetch_seconds=0.01, **settings)
        client: Client = await aiohttp_client(await create_app(container))
        await wait_until(container.service().is_ready)
        return client

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **JSON}


async def problem_of(response: ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    return body


async def test_a_write_without_a_token_is_refused_and_nothing_is_published(
    make_client: MakeClient, fakes: Fakes
) -> None:
    client = await make_client()
    response = await client.post("/api/orders", data=to_bytes(order_doc("new")), headers=JSON)
    assert "Bearer" in (await problem_of(response, 401))["detail"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="order-service"'
    wrong = await client.post("/api/orders", data=to_bytes(order_doc("new")), headers=bearer("not-it"))
    await problem_of(wrong, 401)
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="order-service", error="invalid_token"'
    basic = await client.post("/api/orders", data=b"{}", headers={"Authorization": f"Basic {API_TOKEN}", **JSON})
    await problem_of(basic, 401)
    assert fakes.publisher.published == []


async def test_any_configured_token_writes(make_client: MakeClient, fakes: Fakes, tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens"
    tokens_file.write_text("# one token a line\n\nfrom-the-file\n  another  \n")
    client = await make_client(api_tokens="first, second", api_tokens_file=str(tokens_file))
    for n, token in enumerate(("first", "second", "from-the-file", "another")):
        response = await client.post("/api/orders", data=to_bytes(order_doc(f"o{n}")), headers=bearer(token))
        assert response.status == 202, await response.text()
    assert [msg_id for _, msg_id in fakes.publisher.published] == ["o0", "o1", "o2", "o3"]
    refused = await client.post("/api/orders", data=to_bytes(order_doc("x")), headers=bearer("# one token a line"))
    assert refused.status == 401


async def test_without_tokens_writes_are_disabled_and_the_problem_says_how_to_enable_them(
    make_client: MakeClient, fakes: Fakes
) -> None:
    client = await make_client(api_tokens=None)
    response = await client.post("/api/orders", data=to_bytes(order_doc("new")), headers=bearer("anything"))
    detail = (await problem_of(response, 403))["detail"]
    assert "API_TOKENS" in detail and "API_TOKENS_FILE" in detail and "Authorization: Bearer" in detail
    assert fakes.publisher.published == []
    assert (await client.get("/api/orders/stored")).status == 200, "reads stay open"


async def test_reads_are_open_unless_protected(make_client: MakeClient) -> None:
    client = await make_client()
    for path in ("/api/orders/stored", "/api/orders", "/orders/stored", "/"):
        assert (await client.get(path)).status == 200, path


@pytest.mark.parametrize("path", ["/api/orders/stored", "/api/orders", "/orders/stored", "/", "/events"])
async def test_protected_reads_need_a_token(make_client: MakeClient, path: str) -> None:
    client = await make_client(api_protect_reads=True)
    await problem_of(await client.get(path), 401)
    await problem_of(await client.get(path, headers=bearer("wrong")), 401)
    if path != "/events":  # an endless stream: its 200 is enough elsewhere
        again = await client.get(path, headers=bearer(API_TOKEN))
        assert again.status == 200
    for open_path in ("/healthz", "/readyz", "/metrics", "/api/openapi.json", "/api/asyncapi.json"):
        assert (await client.get(open_path)).status == 200, open_path


async def test_a_protected_order_is_cached_privately(make_client: MakeClient) -> None:
    client = await make_client(api_protect_reads=True)
    for path in ("/api/orders/stored", "/orders/stored"):
        for _ in range(2):  # the hot handlers' answers and the first ones
            response = await client.get(path, headers=bearer(API_TOKEN))
            assert response.status == 200
            assert response.headers["Cache-Control"].startswith("private,")


def test_protected_reads_without_a_token_do_not_start(fakes: Fakes) -> None:
    container = fake_container(fakes, api_tokens=None, api_protect_reads=True)
    with pytest.raises(SystemExit, match="API_PROTECT_READS needs API_TOKENS"):
        container.web_parts()


async def test_no_token_is_ever_logged(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cret-token-never-logged"
    caplog.set_level(logging.DEBUG)
    client = await make_client(api_tokens=secret, api_protect_reads=True)
    for headers in (bearer(secret), bearer(secret + "x"), bearer("")):
        await client.post("/api/orders", data=b"{not json", headers=headers)
        await client.get("/api/orders/nope", headers=headers)
    assert caplog.records, "something was logged at DEBUG"
    assert not [r for r in caplog.records if secret in r.getMessage() or secret in str(r.__dict__)]


async def test_the_openapi_document_declares_the_bearer_scheme(make_client: MakeClient) -> None:
    for protect_reads, reads_secured in ((False, False), (True, True)):
        client = await make_client(api_protect_reads=protect_reads)
        document = await (await client.get("/api/openapi.json")).json()
        scheme = document["components"]["securitySchemes"]["bearerToken"]
        assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
        submit = document["paths"]["/api/orders"]["post"]
        assert submit["security"] == [{"bearerToken": []}]
        assert {"401", "403"} <= set(submit["responses"])
        lookup = document["paths"]["/api/orders/{order_uid}"]["get"]
        assert ("security" in lookup) is reads_secured
        assert "security" not in document["paths"]["/healthz"]["get"]

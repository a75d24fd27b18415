"""``GET /api/openapi.json``: made from the route table (``route_docs.py``) and the order model's schema."""

import pytest
from aiohttp import web

from app.domain.model import order_json_schema
from app.entrypoints.web import openapi
from app.entrypoints.web.api_bodies import REF
from tests.unit.web.conftest import Client


async def test_the_order_is_the_models_schema(client: Client) -> None:
    schemas = (await (await client.get("/api/openapi.json")).json())["components"]["schemas"]
    model = order_json_schema(REF)
    assert set(schemas["Order"]["properties"]) == set(model["properties"])
    assert schemas["Order"]["required"] == model["required"]
    assert {name: schemas[name]["properties"] for name in model["$defs"]} == {
        name: nested["properties"] for name, nested in model["$defs"].items()
    }


def test_a_route_without_an_entry_is_refused() -> None:
    async def undescribed(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get("/undescribed", undescribed)
    with pytest.raises(LookupError, match="GET /undescribed has no entry"):
        openapi.build(app)

"""``GET /api/asyncapi.json``: the message contract (``asyncapi_document.py``), built once at startup."""

from typing import Any

import orjson
from aiohttp import web

from app.entrypoints.web.routing import Routes


def add_routes(routes: Routes, document: dict[str, Any]) -> None:
    body = orjson.dumps(document)

    async def asyncapi_json(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    routes.add("GET", "/api/asyncapi.json", asyncapi_json, name="api-asyncapi")

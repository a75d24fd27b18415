"""``GET /api/openapi.json``: an OpenAPI 3.1 document of every route the app serves.

The paths are read off the app's router at the first request (the router is
frozen by then, so the document is built once and kept as bytes); each route's
operation comes from ``api_operations`` or ``api_page_operations``. A route
described nowhere still appears, with a catch-all response.
"""

import copy
from importlib import metadata
from typing import Any

import orjson
from aiohttp import web

from app.entrypoints.web import swagger
from app.entrypoints.web.api_operations import OPERATIONS
from app.entrypoints.web.api_page_operations import PAGE_OPERATIONS, fallback
from app.entrypoints.web.api_schemas import components
from app.entrypoints.web.routing import Routes

IMPLICIT_METHODS = {"HEAD", "OPTIONS", "*"}  # aiohttp adds HEAD to every GET; "*" is not a method
TAGS = [
    {"name": "orders", "description": "The order API other systems integrate with."},
    {"name": "probes", "description": "Liveness, readiness and metrics."},
    {"name": "docs", "description": "This document and its Swagger UI."},
    {"name": "pages", "description": "What people use in a browser."},
    {"name": "static", "description": "Files the pages and the docs load."},
]


def _version() -> str:
    try:
        return metadata.version("order-service")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, OpenAPI path) for every route of the router."""
    return [
        (route.method, resource.canonical)
        for resource in app.router.resources()
        for route in resource
        if route.method not in IMPLICIT_METHODS
    ]


def build(app: web.Application) -> dict[str, Any]:
    known = {
        **OPERATIONS,
        **PAGE_OPERATIONS,
        ("GET", swagger.STATIC + "/{filename}"): swagger.static_operation(),
    }
    paths: dict[str, dict[str, Any]] = {}
    for method, path in _routes(app):
        operation = known.get((method, path)) or fallback(method, path)
        paths.setdefault(path, {})[method.lower()] = copy.deepcopy(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Order service",
            "version": _version(),
            "description": "Orders from NATS JetStream, stored in PostgreSQL, cached in memory,"
            " served as JSON. Every error is an RFC 9457 problem (application/problem+json).",
        },
        "servers": [{"url": "/"}],
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components()},
    }


def add_routes(routes: Routes) -> None:
    document: list[bytes] = []  # built at the first request, when the router is complete

    async def openapi_json(request: web.Request) -> web.Response:
        if not document:
            document.append(orjson.dumps(build(request.app)))
        return web.Response(body=document[0], content_type="application/json")

    routes.add("GET", "/api/openapi.json", openapi_json, name="api-openapi")

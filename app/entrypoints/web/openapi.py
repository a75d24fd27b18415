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
from app.entrypoints.web.api_page_operations import PAGE_OPERATIONS, fallback, static_operation
from app.entrypoints.web.api_schemas import components

OPENAPI_CACHE = web.AppKey("openapi_cache", dict)
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


def _routes(app: web.Application) -> list[tuple[str, str, Any]]:
    """(method, OpenAPI path, static prefix or None) for every route of the router."""
    found = []
    for resource in app.router.resources():
        info = resource.get_info()
        prefix = info.get("prefix") if isinstance(resource, web.StaticResource) else None
        path = f"{prefix}/{{filename}}" if prefix else resource.canonical
        for route in resource:
            if route.method not in IMPLICIT_METHODS:
                found.append((route.method, path, prefix))
    return found


def build(app: web.Application) -> dict[str, Any]:
    known = {**OPERATIONS, **PAGE_OPERATIONS,
             ("GET", swagger.STATIC + "/{filename}"): swagger.static_operation()}
    paths: dict[str, dict[str, Any]] = {}
    for method, path, prefix in _routes(app):
        operation = known.get((method, path))
        if operation is None:
            operation = static_operation(prefix) if prefix else fallback(method, path)
        paths.setdefault(path, {})[method.lower()] = copy.deepcopy(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Order service",
            "version": _version(),
            "description": "Orders from NATS JetStream, stored in PostgreSQL, cached in memory, served as JSON."
                           " Every error is an RFC 9457 problem (application/problem+json).",
        },
        "servers": [{"url": "/"}],
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components()},
    }


async def openapi_json(request: web.Request) -> web.Response:
    cache = request.app[OPENAPI_CACHE]
    body = cache.get("body")
    if body is None:
        body = cache["body"] = orjson.dumps(build(request.app))
    return web.Response(body=body, content_type="application/json")


def add_routes(app: web.Application) -> None:
    app[OPENAPI_CACHE] = {}
    app.router.add_get("/api/openapi.json", openapi_json, name="api-openapi")

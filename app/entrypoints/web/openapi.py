"""``GET /api/openapi.json``: an OpenAPI 3.1 document of every route the app serves.

The paths are read off the app's router at the first request (the router is
frozen by then, so the document is built once and kept as bytes); each route's
operation comes from ``api_operations`` or ``api_page_operations``. A route
described nowhere still appears, with a catch-all response. The bearer scheme
is declared, and required by the writes (and by the reads with
``API_PROTECT_READS``), so Swagger UI offers to send a token.
"""

import copy
from importlib import metadata
from typing import Any

import orjson
from aiohttp import web

from app.entrypoints.web import swagger
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.api_operations import OPERATIONS
from app.entrypoints.web.api_page_operations import PAGE_OPERATIONS, fallback
from app.entrypoints.web.api_schemas import components, problem_response
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


BEARER = "bearerToken"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "One of the service's API tokens (API_TOKENS, API_TOKENS_FILE).",
    }
}
UNAUTHORIZED = problem_response("No bearer token, or not one of the service's tokens (see WWW-Authenticate).")
WRITES_DISABLED = problem_response("The service has no API token configured, so it takes no writes.")
# Reads that need a token with API_PROTECT_READS: the JSON read API and the pages that show orders.
PROTECTED_READS = {
    ("GET", "/api/orders"),
    ("GET", "/api/orders/{order_uid}"),
    ("GET", "/"),
    ("GET", "/orders/{order_uid}"),
    ("GET", "/events"),
}
WRITES = {("POST", "/api/orders")}


def _secured(operation: dict[str, Any], write: bool) -> None:
    operation["security"] = [{BEARER: []}]
    operation["responses"]["401"] = UNAUTHORIZED
    if write:
        operation["responses"]["403"] = WRITES_DISABLED


def build(app: web.Application, protect_reads: bool = False) -> dict[str, Any]:
    known = {
        **OPERATIONS,
        **PAGE_OPERATIONS,
        ("GET", swagger.STATIC + "/{filename}"): swagger.static_operation(),
    }
    paths: dict[str, dict[str, Any]] = {}
    for method, path in _routes(app):
        operation = copy.deepcopy(known.get((method, path)) or fallback(method, path))
        if (method, path) in WRITES or (protect_reads and (method, path) in PROTECTED_READS):
            _secured(operation, write=(method, path) in WRITES)
        paths.setdefault(path, {})[method.lower()] = operation
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
        "components": {"schemas": components(), "securitySchemes": SECURITY_SCHEMES},
    }


def add_routes(routes: Routes, access: ApiAccess) -> None:
    document: list[bytes] = []  # built at the first request, when the router is complete

    async def openapi_json(request: web.Request) -> web.Response:
        if not document:
            document.append(orjson.dumps(build(request.app, access.protect_reads)))
        return web.Response(body=document[0], content_type="application/json")

    routes.add("GET", "/api/openapi.json", openapi_json, name="api-openapi")

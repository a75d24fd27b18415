"""``GET /api/openapi.json``, an OpenAPI 3.1 document of every route; ``GET /api/asyncapi.json``, the messages'.

apispec assembles it from the router's routes, each described in ``route_docs.ROUTES``,
and from the schemas of the order model and of ``api_bodies``. Built at the first request
(the router is complete by then) and kept as bytes. The bearer scheme is required by
the writes, and by the reads with ``API_PROTECT_READS``, so Swagger UI offers to send a token.
"""

from typing import Any

import orjson
from aiohttp import web
from apispec import APISpec

from app.domain.model import order_json_schema
from app.entrypoints.asyncapi_document import service_version
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.api_bodies import REF, body_schemas
from app.entrypoints.web.route_docs import CACHE_HEADERS, ROUTES, problem
from app.entrypoints.web.routing import Routes

IMPLICIT_METHODS = {"HEAD", "OPTIONS", "*"}  # aiohttp adds HEAD to every GET; "*" is not a method
BEARER = "bearerToken"
SHARED_RESPONSES = {
    "BadQuery": problem("A query parameter breaks its rule; `parameter` names it."),
    "Starting": problem("The service is starting, or a server it needs is unreachable; retry."),
    "NotModified": {"description": "Not modified: If-None-Match names the order.", "headers": CACHE_HEADERS},
    "Unauthorized": problem("No bearer token, or not one of the service's tokens (see WWW-Authenticate)."),
    "WritesDisabled": problem("The service has no API token configured, so it takes no writes."),
}
TAGS = {
    "orders": "The order API other systems integrate with.",
    "probes": "Liveness, readiness and metrics.",
    "docs": "This document, the message contract and Swagger UI.",
    "pages": "What people use in a browser.",
    "static": "Files the pages load.",
}
DESCRIPTION = (
    "Orders from NATS JetStream, stored in PostgreSQL, cached in memory, served as JSON and pages."
    " Every JSON error is an RFC 9457 problem (application/problem+json)."
)


RULES_BEYOND_JSON_SCHEMA = {
    "Order": "Integers are written as integers (5, not 5.0 or 5e0); fields not listed here are ignored.",
    "Payment": "goods_total = sum(items[].total_price); amount = goods_total + delivery_cost + custom_fee (or 422).",
}


def schemas() -> dict[str, dict[str, Any]]:
    """The order's models and the other bodies; the order's descriptions add what JSON Schema cannot state."""
    order = order_json_schema(REF)
    found: dict[str, dict[str, Any]] = {**order.pop("$defs", {}), "Order": order, **body_schemas()}
    for name, rule in RULES_BEYOND_JSON_SCHEMA.items():
        found[name]["description"] = f"{found[name].get('description', '')} {rule}".strip()
    order["properties"]["date_created"]["description"] = "With a UTC offset; within the years 1 to 9999 in UTC."
    return found


def build(app: web.Application, protect_reads: bool = False) -> dict[str, Any]:
    spec = APISpec("Order service", service_version(), "3.1.0", info={"description": DESCRIPTION})
    spec.options["servers"] = [{"url": "/"}]
    for name, schema in schemas().items():
        spec.components.schema(name, schema)
    for name, response in SHARED_RESPONSES.items():
        spec.components.response(name, response)
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer", "description": "An API token."})
    for name, description in TAGS.items():
        spec.tag({"name": name, "description": description})
    routes = sorted(
        (resource.canonical, route.method.lower())
        for resource in app.router.resources()
        for route in resource
        if route.method not in IMPLICIT_METHODS
    )
    for path, method in routes:
        if (method.upper(), path) not in ROUTES:
            raise LookupError(f"{method.upper()} {path} has no entry in route_docs.ROUTES")
        operation = dict(ROUTES[method.upper(), path])
        access = operation.pop("access", None)
        if access == "write" or (access == "read" and protect_reads):
            operation["security"] = [{BEARER: []}]
            refusals = {401: "Unauthorized", 403: "WritesDisabled"} if access == "write" else {401: "Unauthorized"}
            operation["responses"] = {**operation["responses"], **refusals}
        spec.path(path, operations={method: operation})
    return spec.to_dict()


def add_routes(routes: Routes, access: ApiAccess, asyncapi: dict[str, Any]) -> None:
    """Both documents, each kept as bytes; the AsyncAPI one is built by ``asyncapi_document`` at startup."""
    document: list[bytes] = []  # built at the first request, when the router is complete
    asyncapi_body = orjson.dumps(asyncapi)

    async def openapi_json(request: web.Request) -> web.Response:
        if not document:
            document.append(orjson.dumps(build(request.app, access.protect_reads)))
        return web.Response(body=document[0], content_type="application/json")

    async def asyncapi_json(request: web.Request) -> web.Response:
        return web.Response(body=asyncapi_body, content_type="application/json")

    routes.add("GET", "/api/openapi.json", openapi_json, name="api-openapi")
    routes.add("GET", "/api/asyncapi.json", asyncapi_json, name="api-asyncapi")

"""OpenAPI operations of the JSON API, the probes, the metrics and the API docs, by (method, path).

Bounds and patterns come from ``api_params`` and the model, the same constants
the handlers enforce. Every status a handler (or aiohttp, through
the problem wrappers) can answer with is listed.
"""

from typing import Any

from app.domain.model import ORDER_UID_PATTERN
from app.entrypoints.web import api_params as params
from app.entrypoints.web.api_schemas import CURSOR, json_body, problem_response, ref

Operation = dict[str, Any]
LOCATION = {
    "Location": {
        "description": "Where the order is (or will be) served.",
        "required": True,
        "schema": {"type": "string", "pattern": "^/api/orders/[A-Za-z0-9_-]{1,64}$"},
    }
}
BAD_QUERY = problem_response("A query parameter breaks its rule; `parameter` names it.")
STARTING = problem_response("The service is starting, or a server it needs is unreachable; retry.")


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _filter(name: str) -> dict[str, Any]:
    schema = {"type": "string", "maxLength": params.FILTER_MAX_LENGTH, "pattern": params.FILTER_PATTERN}
    return _query(name, schema, f"Only orders whose {name} is exactly this.")


ORDER_UID = {
    "name": "order_uid",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": ORDER_UID_PATTERN},
}

LIST_ORDERS: Operation = {
    "operationId": "listOrders",
    "tags": ["orders"],
    "summary": "Stored orders, newest first, a page at a time",
    "description": "Keyset pagination: follow next_cursor until it is null. Orders stored meanwhile never"
    " shift a page (they are newer, so they appear on a fresh first page).",
    "parameters": [
        _query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": params.LIMIT_MAX, "default": params.LIMIT_DEFAULT},
            "Orders per page.",
        ),
        _query("cursor", CURSOR, "next_cursor of the previous page."),
        _filter("customer_id"),
        _filter("track_number"),
    ],
    "responses": {
        "200": {"description": "A page of orders.", "content": json_body(ref("OrderPage"))},
        "400": BAD_QUERY,
        "503": STARTING,
    },
}

SUBMIT_ORDER: Operation = {
    "operationId": "submitOrder",
    "tags": ["orders"],
    "summary": "Submit an order for ingestion",
    "description": "Validated like an ingested message, then published to the order stream as sent"
    " (Nats-Msg-Id = order_uid). With wait, answers once the order is stored.",
    "parameters": [
        _query(
            "wait",
            {"type": "number", "minimum": 0, "maximum": params.WAIT_MAX},
            "Seconds to wait for the order to be stored (then 201 instead of 202).",
        )
    ],
    "requestBody": {
        "required": True,
        "content": json_body(ref("Order")),
        "description": "An order, at most 1 MiB, and at most what the stream takes with the message's"
        " headers: the NATS server's max_payload (1 MiB unless configured) less about 100 bytes.",
    },
    "responses": {
        "201": {
            "description": "Stored (only with wait): the order as GET /api/orders/{order_uid} serves it.",
            "headers": LOCATION,
            "content": json_body(ref("Order")),
        },
        "202": {
            "description": "Accepted into the stream; it is stored shortly.",
            "headers": LOCATION,
            "content": json_body(ref("Accepted")),
        },
        "400": BAD_QUERY,
        "409": problem_response("An order with this order_uid is stored with different content."),
        "413": problem_response(
            "The body is larger than 1 MiB, or than the NATS server's max_payload less the message's headers;"
            " `detail` states the limit and `limit` holds it in bytes."
        ),
        "415": problem_response("The body is not sent as application/json."),
        "422": problem_response("The order is invalid; `errors` lists every violation.", "ValidationProblem"),
        "503": problem_response("The service is starting, or the stream did not take the order; retry."),
    },
}

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "ETags of copies the client keeps (or *): 304 when one is the order's.",
}
CACHE_HEADERS = {
    "ETag": {
        "description": "Strong, and the same for as long as the order is stored: stored orders never change.",
        "required": True,
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "public (private when reads need a token), max-age=31536000, immutable.",
        "required": True,
        "schema": {"type": "string"},
    },
}
NOT_MODIFIED = {"description": "Not modified: the copy named in If-None-Match is the order.", "headers": CACHE_HEADERS}

GET_ORDER: Operation = {
    "operationId": "getOrder",
    "tags": ["orders"],
    "summary": "One order by its order_uid",
    "description": "A stored order never changes, so its answer may be kept for a year (Cache-Control:"
    " immutable) and revalidated with If-None-Match. A 404 is never kept (no-store).",
    "parameters": [ORDER_UID, IF_NONE_MATCH],
    "responses": {
        "200": {"description": "The order.", "headers": CACHE_HEADERS, "content": json_body(ref("Order"))},
        "304": NOT_MODIFIED,
        "400": problem_response("order_uid is not 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'."),
        "404": problem_response("No order with this order_uid is stored."),
        "503": STARTING,
    },
}

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/api/orders"): LIST_ORDERS,
    ("POST", "/api/orders"): SUBMIT_ORDER,
    ("GET", "/api/orders/{order_uid}"): GET_ORDER,
    ("GET", "/healthz"): {
        "operationId": "liveness",
        "tags": ["probes"],
        "summary": "Liveness: the process answers",
        "responses": {"200": {"description": "Alive.", "content": json_body(ref("Liveness"))}},
    },
    ("GET", "/readyz"): {
        "operationId": "readiness",
        "tags": ["probes"],
        "summary": "Readiness: every part is up",
        "responses": {
            "200": {"description": "Ready.", "content": json_body(ref("Readiness"))},
            "503": problem_response("Not ready; `checks` tells which part fails.", "NotReady"),
        },
    },
    ("GET", "/metrics"): {
        "operationId": "metrics",
        "tags": ["probes"],
        "summary": "Prometheus metrics",
        "responses": {
            "200": {
                "description": "Prometheus text exposition format.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    },
    ("GET", "/api/asyncapi.json"): {
        "operationId": "asyncapi",
        "tags": ["docs"],
        "summary": "The message contract: AsyncAPI 3.0 of the order, dead-letter and announcement subjects",
        "responses": {"200": {"description": "AsyncAPI 3.0.", "content": json_body({"type": "object"})}},
    },
    ("GET", "/api/openapi.json"): {
        "operationId": "openapi",
        "tags": ["docs"],
        "summary": "This OpenAPI document",
        "responses": {"200": {"description": "OpenAPI 3.1.", "content": json_body({"type": "object"})}},
    },
    ("GET", "/api/docs"): {
        "operationId": "apiDocs",
        "tags": ["docs"],
        "summary": "Swagger UI for this document",
        "responses": {
            "200": {"description": "An HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}
        },
    },
}

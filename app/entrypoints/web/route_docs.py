"""What each route answers, one entry per route: the table ``openapi.py`` makes the document from.

A response given as a string names a shared one (``openapi.SHARED_RESPONSES``); a schema given
as a string names a component (the order's or ``api_bodies``'). Bounds and patterns are the
constants the handlers enforce (``api_params``, the model). ``access`` marks the routes that
need a token: writes always, reads with ``API_PROTECT_READS``.
"""

from typing import Any

from app.domain.model import ORDER_UID_PATTERN
from app.entrypoints.web import api_params as params
from app.entrypoints.web.problems import PROBLEM_JSON

Operation = dict[str, Any]
TEXT = {"type": "string"}
# What str.strip() removes, as a class: the search form trims the uid before checking it.
_SPACE = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"enum": ["stats", "order"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "retry": {"type": "integer", "minimum": 0},
    },
}
CACHE_HEADERS = {
    "ETag": {"description": "Strong; stored orders never change.", "required": True, "schema": TEXT},
    "Cache-Control": {
        "description": "public (or private), max-age=31536000, immutable.",
        "required": True,
        "schema": TEXT,
    },
}
LOCATION = {"Location": {"description": "Where the order is (or will be) served.", "required": True, "schema": TEXT}}


def op(op_id: str, tag: str, summary: str, responses: dict[int, Any], *parameters: Any, **more: Any) -> Operation:
    operation = {"operationId": op_id, "tags": [tag], "summary": summary, **more, "responses": responses}
    return operation | ({"parameters": list(parameters)} if parameters else {})


def param(name: str, where: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": where, "schema": schema, "description": description}


def body(description: str, schema: Any, media_type: str = "application/json", headers: Any = None) -> dict[str, Any]:
    answer = {"description": description, "content": {media_type: {"schema": schema}}}
    return answer | ({"headers": headers} if headers else {})


def problem(description: str, schema: str = "Problem") -> dict[str, Any]:
    return body(description, schema, PROBLEM_JSON)


def html(description: str, headers: Any = None) -> dict[str, Any]:
    return body(description, TEXT, "text/html", headers)


def moved(description: str) -> dict[str, Any]:
    return {"description": description, "headers": {"Location": {"required": True, "schema": TEXT}}}


def _filter(name: str) -> dict[str, Any]:
    schema = {"type": "string", "maxLength": params.FILTER_MAX_LENGTH, "pattern": params.FILTER_PATTERN}
    return param(name, "query", schema, f"Only orders whose {name} is exactly this.")


ORDER_UID = param("order_uid", "path", {"type": "string", "pattern": ORDER_UID_PATTERN})
FILENAME = param("filename", "path", {"type": "string", "minLength": 1})
IF_NONE_MATCH = param("If-None-Match", "header", TEXT, "ETags of copies the client keeps (or *): 304 if one is it.")
LIMIT = {"type": "integer", "minimum": 1, "maximum": params.LIMIT_MAX, "default": params.LIMIT_DEFAULT}
CURSOR = {"type": "string", "pattern": params.CURSOR_PATTERN}
SEARCH_UID = {"type": "string", "pattern": rf"^{_SPACE}*(?:{ORDER_UID_PATTERN[1:-1]})?{_SPACE}*$"}
SUBMITTED = "An order, at most 1 MiB, and at most the NATS server's max_payload less about 100 bytes of headers."

ROUTES: dict[tuple[str, str], Operation] = {
    ("GET", "/api/orders"): op(
        "listOrders",
        "orders",
        "Stored orders, newest first, a page at a time",
        {200: body("A page of orders.", "OrderPage"), 400: "BadQuery", 503: "Starting"},
        param("limit", "query", LIMIT, "Orders per page."),
        param("cursor", "query", CURSOR, "next_cursor of the previous page."),
        _filter("customer_id"),
        _filter("track_number"),
        access="read",
        description="Keyset pagination: follow next_cursor until it is null; newer orders never shift a page.",
    ),
    ("POST", "/api/orders"): op(
        "submitOrder",
        "orders",
        "Submit an order for ingestion",
        {
            201: body("Stored (only with wait): the order as it is served.", "Order", headers=LOCATION),
            202: body("Accepted into the stream; it is stored shortly.", "Accepted", headers=LOCATION),
            400: "BadQuery",
            409: problem("An order with this order_uid is stored with different content."),
            413: problem("The body is too large; `detail` states the limit and `limit` holds it in bytes."),
            415: problem("The body is not sent as application/json."),
            422: problem("The order is invalid; `errors` lists every violation.", "ValidationProblem"),
            503: problem("The service is starting, or the stream did not take the order; retry."),
        },
        param(
            "wait",
            "query",
            {"type": "number", "minimum": 0, "maximum": params.WAIT_MAX},
            "Seconds to wait for the order to be stored (then 201 instead of 202).",
        ),
        requestBody={"required": True, "description": SUBMITTED, "content": {"application/json": {"schema": "Order"}}},
        description="Validated like an ingested message, then published to the order stream as sent"
        " (Nats-Msg-Id = order_uid).",
        access="write",
    ),
    ("GET", "/api/orders/{order_uid}"): op(
        "getOrder",
        "orders",
        "One order by its order_uid (immutable: cached a year, revalidated by ETag)",
        {
            200: body("The order.", "Order", headers=CACHE_HEADERS),
            304: "NotModified",
            400: problem("order_uid is not 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'."),
            404: problem("No order with this order_uid is stored (never cached)."),
            503: "Starting",
        },
        ORDER_UID,
        IF_NONE_MATCH,
        access="read",
    ),
    ("GET", "/healthz"): op("liveness", "probes", "Liveness: the process answers", {200: body("Alive.", "Liveness")}),
    ("GET", "/readyz"): op(
        "readiness",
        "probes",
        "Readiness: every part is up",
        {200: body("Ready.", "Readiness"), 503: problem("Not ready; `checks` tells which part fails.", "NotReady")},
    ),
    ("GET", "/metrics"): op("metrics", "probes", "Prometheus metrics", {200: body("Text format.", TEXT, "text/plain")}),
    ("GET", "/api/asyncapi.json"): op(
        "asyncapi", "docs", "The message contract (AsyncAPI 3.0)", {200: body("AsyncAPI 3.0.", {"type": "object"})}
    ),
    ("GET", "/api/openapi.json"): op(
        "openapi", "docs", "This OpenAPI document", {200: body("OpenAPI 3.1.", {"type": "object"})}
    ),
    ("GET", "/api/docs"): op("apiDocs", "docs", "Swagger UI for this document", {200: html("The page.")}),
    ("GET", "/api/docs/static/{filename}"): op(
        "apiDocsStatic",
        "docs",
        "Files of the Swagger UI page",
        {200: body("The file.", TEXT, "*/*"), 404: problem("No such file.")},
        FILENAME,
    ),
    ("GET", "/"): op(
        "homePage", "pages", "Home page: search, recent orders, live counters", {200: html("The page.")}, access="read"
    ),
    ("GET", "/orders"): op(
        "searchPage",
        "pages",
        "The search form's target",
        {303: moved("To the order's page (or to / when uid is empty)."), 400: html("uid is not an order number.")},
        param("uid", "query", SEARCH_UID, "An order_uid; surrounding whitespace is ignored."),
    ),
    ("GET", "/orders/{order_uid}"): op(
        "orderPage",
        "pages",
        "One order as a page",
        {
            200: html("The order.", headers=CACHE_HEADERS),
            304: "NotModified",
            400: html("Not an order number."),
            404: html("No such order."),
            503: html("Orders are unavailable for now."),
        },
        ORDER_UID,
        IF_NONE_MATCH,
        access="read",
    ),
    ("GET", "/dead-letters"): op(
        "deadLettersPage",
        "pages",
        "The dead letters, read-only, with a count per kind of reason",
        {200: html("The page."), 503: html("The service is starting, or the dead-letter stream cannot be read.")},
        access="read",
    ),
    ("GET", "/favicon.ico"): op("favicon", "pages", "The icon", {301: moved("To the SVG icon under /static/.")}),
    ("GET", "/static/{filename}"): op(
        "staticFile",
        "static",
        "The pages' own files (CSS, script, icon)",
        {200: body("The file.", TEXT, "*/*"), 404: problem("No such file.")},
        FILENAME,
        param("v", "query", TEXT, "The file's version, as the pages link it; any value is served."),
    ),
    ("GET", "/events"): op(
        "liveEvents",
        "pages",
        "Server-sent events: each stored order's summary, and the counters every 2 s",
        {200: body("An endless event stream; the schema is one event's.", _EVENT, "text/event-stream")},
        access="read",
    ),
}

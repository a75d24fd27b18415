"""The OpenAPI ``components/schemas`` of the order API, and helpers to refer to them.

The order schemas come from the pydantic models (their ``$defs`` hoisted into
the components); the others describe the bodies the handlers build by hand:
RFC 9457 problems, the listing page, the submission receipt, the probes.
"""

from typing import Any

from app.domain.model import ORDER_UID_PATTERN, order_json_schema
from app.entrypoints.web import api_params as params
from app.entrypoints.web.problems import PROBLEM_JSON

REF = "#/components/schemas/{model}"
Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


def order_schemas() -> dict[str, Schema]:
    """``Order`` and the models it nests, as JSON Schema 2020-12 (what OpenAPI 3.1 uses)."""
    order = order_json_schema(REF)
    schemas: dict[str, Schema] = order.pop("$defs", {})
    order["description"] += " Integers are written as integers (5, not 5.0 or 5e0); fields not listed here are ignored."
    order["properties"]["date_created"]["description"] = (
        "With a UTC offset; converted to UTC it must stay within the years 1 to 9999. Served in UTC (…Z)."
    )
    schemas["Order"] = order
    schemas["Payment"]["description"] += (
        " Also: goods_total equals the sum of items[].total_price, and"
        " amount equals goods_total + delivery_cost + custom_fee (else 422)."
    )
    return schemas


PROBLEM: Schema = {
    "type": "object",
    "description": "RFC 9457 problem details; some problems carry more members (order_uid, parameter, ...).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "A URI reference; about:blank for plain HTTP statuses."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
VIOLATION: Schema = {
    "type": "object",
    "required": ["path", "message"],
    "properties": {
        "path": {
            "type": "string",
            "description": "Field path such as items[0].price; empty for the whole body.",
        },
        "message": {"type": "string"},
    },
}
VALIDATION_PROBLEM: Schema = {
    "allOf": [
        ref("Problem"),
        {
            "type": "object",
            "required": ["errors"],
            "properties": {"errors": {"type": "array", "minItems": 1, "items": ref("Violation")}},
        },
    ],
}
CURSOR: Schema = {
    "type": "string",
    "pattern": params.CURSOR_PATTERN,
    "description": "Opaque: pass next_cursor back as it is.",
}
ORDER_PAGE: Schema = {
    "type": "object",
    "required": ["items", "next_cursor"],
    "properties": {
        "items": {"type": "array", "maxItems": params.LIMIT_MAX, "items": ref("Order")},
        "next_cursor": {
            "oneOf": [CURSOR, {"type": "null"}],
            "description": "The cursor of the next (older) page; null on the last page.",
        },
    },
}
ACCEPTED: Schema = {
    "type": "object",
    "required": ["order_uid", "status"],
    "properties": {
        "order_uid": {"type": "string", "pattern": ORDER_UID_PATTERN},
        "status": {"const": "accepted"},
    },
}
LIVENESS: Schema = {"type": "object", "required": ["status"], "properties": {"status": {"const": "alive"}}}
CHECKS: Schema = {
    "type": "object",
    "additionalProperties": {"type": "boolean"},
    "description": "Each part that must hold for the service to take traffic.",
}
READINESS: Schema = {
    "type": "object",
    "required": ["status", "checks", "cached_orders"],
    "properties": {
        "status": {"const": "ready"},
        "checks": CHECKS,
        "cached_orders": {"type": "integer", "minimum": 0},
    },
}
NOT_READY: Schema = {
    "allOf": [
        ref("Problem"),
        {
            "type": "object",
            "required": ["checks", "cached_orders"],
            "properties": {"checks": CHECKS, "cached_orders": {"type": "integer", "minimum": 0}},
        },
    ]
}


def components() -> dict[str, Schema]:
    return {
        **order_schemas(),
        "Problem": PROBLEM,
        "Violation": VIOLATION,
        "ValidationProblem": VALIDATION_PROBLEM,
        "OrderPage": ORDER_PAGE,
        "Accepted": ACCEPTED,
        "Liveness": LIVENESS,
        "Readiness": READINESS,
        "NotReady": NOT_READY,
    }


def json_body(schema: Schema, media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def problem_response(description: str, schema: str = "Problem") -> dict[str, Any]:
    return {"description": description, "content": json_body(ref(schema), PROBLEM_JSON)}

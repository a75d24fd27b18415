"""OpenAPI operations of the routes that are not the JSON API: HTML pages, live events, static files.

Those routes are set up elsewhere (``pages.py``, ``live_events.py``); what they
answer is described here, so that the document covers every route. A route
found in the router but described nowhere gets :func:`fallback`: its path
parameters and a catch-all response.
"""

from typing import Any

from app.domain.model import ORDER_UID_PATTERN
from app.entrypoints.web.api_operations import CACHE_HEADERS, IF_NONE_MATCH, NOT_MODIFIED
from app.entrypoints.web.api_schemas import json_body, ref
from app.entrypoints.web.problems import PROBLEM_JSON

Operation = dict[str, Any]
_TEXT = {"type": "string"}
_ANY_FILE = {"*/*": {"schema": _TEXT}}
# What str.strip() removes, as a class: the search form trims the uid before checking it.
_SPACE = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_SEARCH_UID = rf"^{_SPACE}*(?:{ORDER_UID_PATTERN[1:-1]})?{_SPACE}*$"
_EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"enum": ["stats", "order"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "retry": {"type": "integer", "minimum": 0},
    },
}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": _TEXT}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": json_body(ref("Problem"), PROBLEM_JSON)}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}} for n in names]


PAGE_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/"): {
        "operationId": "homePage",
        "tags": ["pages"],
        "summary": "Home page: search, recent orders, live counters",
        "responses": {"200": _html("The page.")},
    },
    ("GET", "/orders"): {
        "operationId": "searchPage",
        "tags": ["pages"],
        "summary": "The search form's target",
        "parameters": [
            {
                "name": "uid",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "pattern": _SEARCH_UID},
                "description": "An order_uid; surrounding whitespace is ignored.",
            }
        ],
        "responses": {
            "303": {
                "description": "To the order's page (or to / when uid is empty).",
                "headers": {"Location": {"required": True, "schema": _TEXT}},
            },
            "400": _html("uid is not an order number."),
        },
    },
    ("GET", "/orders/{order_uid}"): {
        "operationId": "orderPage",
        "tags": ["pages"],
        "summary": "One order as a page",
        "parameters": [
            {
                "name": "order_uid",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": ORDER_UID_PATTERN},
            },
            IF_NONE_MATCH,
        ],
        "responses": {
            "200": {**_html("The order."), "headers": CACHE_HEADERS},
            "304": NOT_MODIFIED,
            "400": _html("Not an order number."),
            "404": _html("No such order."),
            "503": _html("Orders are unavailable for now."),
        },
    },
    ("GET", "/dead-letters"): {
        "operationId": "deadLettersPage",
        "tags": ["pages"],
        "summary": "The dead letters, read-only, with a count per kind of reason",
        "responses": {
            "200": _html("The page: counts by kind, the latest dead letters with their reason."),
            "503": _html("The service is starting, or the dead-letter stream cannot be read right now."),
        },
    },
    ("GET", "/favicon.ico"): {
        "operationId": "favicon",
        "tags": ["pages"],
        "summary": "Where browsers look for an icon",
        "responses": {
            "301": {
                "description": "To the SVG icon under /static/.",
                "headers": {"Location": {"required": True, "schema": _TEXT}},
            }
        },
    },
    ("GET", "/static/{filename}"): {
        "operationId": "staticFile",
        "tags": ["static"],
        "summary": "The pages' own files (CSS, script, icon)",
        "parameters": [
            {
                "name": "filename",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1},
            },
            {
                "name": "v",
                "in": "query",
                "required": False,
                "schema": _TEXT,
                "description": "The file's version, as the pages link it; any value is served.",
            },
        ],
        "responses": {
            "200": {"description": "The file, with the media type of its kind.", "content": _ANY_FILE},
            "404": _problem("No such file."),
        },
    },
    ("GET", "/events"): {
        "operationId": "liveEvents",
        "tags": ["pages"],
        "summary": "Server-sent events for the home page",
        "description": "`order` events carry the summary of each newly stored order; `stats` events the"
        " counters, at once and then every 2 s. The stream stays open.",
        "responses": {
            "200": {
                "description": "An endless event stream; the schema is one event's.",
                "content": {"text/event-stream": {"schema": _EVENT}},
            }
        },
    },
}


def fallback(method: str, path: str) -> Operation:
    """A route nobody described: its parameters and whatever it answers."""
    return {
        "operationId": f"{method.lower()}{path}".replace("/", "-").replace("{", "").replace("}", ""),
        "summary": f"{method} {path}",
        "parameters": _path_parameters(path),
        "responses": {"default": {"description": "Not described in detail.", "content": {"*/*": {"schema": {}}}}},
    }

"""The friendly error page every page route answers with, and the rule of an order number."""

import re

import aiohttp_jinja2
from aiohttp import web

from app.domain.model import ORDER_UID_PATTERN

VALID_UID = re.compile(ORDER_UID_PATTERN)
UID_RULE = "An order number is 1 to 64 letters, digits, '_' or '-'."


def trouble(request: web.Request, status: int, title: str, message: str, uid: str = "") -> web.Response:
    """A friendly error page with the search box."""
    context = {"status": status, "title": title, "message": message, "uid": uid}
    return aiohttp_jinja2.render_template("trouble.html", request, context, status=status)


def starting_page(request: web.Request) -> web.Response:
    return trouble(
        request,
        503,
        "Starting up",
        "The service is starting; try again in a moment.",
        request.match_info.get("order_uid", ""),
    )

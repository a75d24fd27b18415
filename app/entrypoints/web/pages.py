"""The web pages people use: ``/`` (search, recent orders, live counters) and ``/orders/{uid}``.

Server-rendered with jinja2 (autoescaped: everything from an order or a URL is
escaped); the search is a plain GET form, so it works without JavaScript. The
only script is ``static/live.js``, which keeps ``/`` up to date from ``/events``.
"""

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import orjson
from aiohttp import web

from app.domain.model import ORDER_UID_PATTERN, Order
from app.domain.order_summary import order_summary
from app.entrypoints.service import OrderService, resolve
from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.page_format import FILTERS
from app.ports.order_repository import StorageUnavailable

TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "templates"
STATIC_DIR = Path(__file__).with_name("static")
ASSETS = ("style.css", "live.js", "favicon.svg")
RECENT_LIMIT = 20
RECENT_TIMEOUT = 3.0
VALID_UID = re.compile(ORDER_UID_PATTERN)
UID_RULE = "An order number is 1 to 64 letters, digits, '_' or '-'."


def counters(service: OrderService) -> dict[str, Any]:
    """The numbers on ``/``: rendered with the page, then sent as ``stats`` events."""
    cache = service.cache
    return {
        "stored": service.stats.stored,
        "dead_lettered": service.stats.dead_lettered,
        "cached": len(cache),
        "cache_max": cache.max_orders,
        "hit_ratio": cache.hit_ratio,
    }


async def recent_orders(service: OrderService) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``RECENT_LIMIT`` summaries, newest first, and a note when they cannot be read."""
    if not service.ready.is_set():
        return [], "The service is starting; orders will appear here as they arrive."
    repository = await resolve(service.container.repository)
    try:
        async with asyncio.timeout(RECENT_TIMEOUT):
            page = await repository.list_json(RECENT_LIMIT)
    except (StorageUnavailable, TimeoutError):
        return [], "The order database cannot be reached right now; new orders still appear below."
    return [order_summary(Order.model_validate_json(body)) for _, body in page], None


def trouble(request: web.Request, status: int, title: str, message: str, uid: str = "") -> web.Response:
    """A friendly error page with the search box."""
    context = {"status": status, "title": title, "message": message, "uid": uid}
    return aiohttp_jinja2.render_template("trouble.html", request, context, status=status)


async def home(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    orders, note = await recent_orders(service)
    context = {"orders": orders, "note": note, "stats": counters(service), "recent_limit": RECENT_LIMIT}
    return aiohttp_jinja2.render_template("home.html", request, context)


async def search(request: web.Request) -> web.Response:
    """``GET /orders?uid=...`` from the search form: off to the order's page."""
    uid = request.query.get("uid", "").strip()
    if not uid:
        raise web.HTTPSeeOther("/")
    if not VALID_UID.fullmatch(uid):
        return trouble(request, 400, "That is not an order number", UID_RULE, uid)
    raise web.HTTPSeeOther(f"/orders/{uid}")


async def order_page(request: web.Request) -> web.Response:
    uid = request.match_info["order_uid"]
    if not VALID_UID.fullmatch(uid):
        return trouble(request, 400, "That is not an order number", UID_RULE, uid)
    service = request.app[SERVICE]
    body = service.cache.get(uid)
    if body is None:
        if service.lookup is None:
            return trouble(request, 503, "Starting up", "The service is starting; try again in a moment.", uid)
        try:
            body = await service.lookup.load(uid)
        except StorageUnavailable:
            return trouble(request, 503, "Orders are unavailable",
                           "The order database cannot be reached right now; try again in a moment.", uid)
        if body is None:
            return trouble(request, 404, "No such order",
                           "No order has this number. Check it and search again.", uid)
    return aiohttp_jinja2.render_template("order.html", request, {"order": orjson.loads(body)})


async def favicon(request: web.Request) -> web.Response:
    """Browsers ask for ``/favicon.ico`` whatever the page links: send them to the SVG icon."""
    raise web.HTTPMovedPermanently(aiohttp_jinja2.get_env(request.app).globals["asset"]["favicon.svg"])


def setup(app: web.Application) -> None:
    """Templates, static files and the page routes."""
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, filters=FILTERS,
        default_helpers=False, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    static = app.router.add_static("/static", STATIC_DIR, name="static")
    env.globals["asset"] = {name: str(static.url_for(filename=name, append_version=True)) for name in ASSETS}
    app.router.add_get("/", home, name="home")
    app.router.add_get("/orders", search, name="search")
    app.router.add_get("/orders/{order_uid:(?s:.+)}", order_page, name="order-page")  # (?s): newlines too
    app.router.add_get("/favicon.ico", favicon, name="favicon")

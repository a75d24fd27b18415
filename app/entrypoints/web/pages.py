"""The web pages people use: ``/`` (search, recent orders, live counters) and ``/orders/{uid}``.

Server-rendered with jinja2 (autoescaped: everything from an order or a URL is
escaped); the search is a plain GET form, so it works without JavaScript. The
only script is ``static/live.js``, which keeps ``/`` up to date from ``/events``.
"""

import asyncio
import re
from collections.abc import Callable
from typing import Any

import aiohttp_jinja2
import jinja2
import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from app.domain.model import ORDER_UID_PATTERN
from app.domain.order_codec import decode
from app.domain.order_lookup import ListOrders, OrderLookup
from app.domain.order_summary import order_summary
from app.entrypoints.service_stats import ServiceStats
from app.entrypoints.web import static_files
from app.entrypoints.web.page_format import FILTERS
from app.entrypoints.web.routing import Routes
from app.ports.order_cache import OrderCache
from app.ports.order_repository import StorageUnavailable

ASSETS = ("style.css", "live.js", "favicon.svg")
RECENT_LIMIT = 20
RECENT_TIMEOUT = 3.0
VALID_UID = re.compile(ORDER_UID_PATTERN)
UID_RULE = "An order number is 1 to 64 letters, digits, '_' or '-'."


class Pages:
    """The page handlers, over what they show."""

    def __init__(
        self,
        lookup: OrderLookup,
        list_orders: ListOrders,
        stats: ServiceStats,
        cache: OrderCache,
        is_ready: Callable[[], bool],
    ) -> None:
        self._lookup = lookup
        self._list_orders = list_orders
        self._stats = stats
        self._cache = cache
        self._is_ready = is_ready

    def counters(self) -> dict[str, Any]:
        """The numbers on ``/``: rendered with the page, then sent as ``stats`` events."""
        totals, cache = self._stats.totals, self._cache
        return {
            "stored": totals.stored,
            "dead_lettered": totals.dead_lettered,
            "cached": len(cache),
            "cache_max": cache.max_orders,
            "hit_ratio": cache.hit_ratio,
        }

    async def recent_orders(self) -> tuple[list[dict[str, Any]], str | None]:
        """Up to ``RECENT_LIMIT`` summaries, newest first, and a note when they cannot be read."""
        if not self._is_ready():
            return [], "The service is starting; orders will appear here as they arrive."
        try:
            async with asyncio.timeout(RECENT_TIMEOUT):
                page = await self._list_orders(RECENT_LIMIT)
        except (StorageUnavailable, TimeoutError):
            return [], "The order database cannot be reached right now; new orders still appear below."
        return [order_summary(decode(body)) for _, body in page.orders], None

    async def home(self, request: web.Request) -> web.Response:
        orders, note = await self.recent_orders()
        context = {"orders": orders, "note": note, "stats": self.counters(), "recent_limit": RECENT_LIMIT}
        return aiohttp_jinja2.render_template("home.html", request, context)

    async def search(self, request: web.Request) -> web.Response:
        """``GET /orders?uid=...`` from the search form: off to the order's page."""
        uid = request.query.get("uid", "").strip()
        if not uid:
            raise web.HTTPSeeOther("/")
        if not VALID_UID.fullmatch(uid):
            return trouble(request, 400, "That is not an order number", UID_RULE, uid)
        raise web.HTTPSeeOther(f"/orders/{uid}")

    async def order_page(self, request: web.Request) -> web.Response:
        uid = request.match_info["order_uid"]
        if not VALID_UID.fullmatch(uid):
            return trouble(request, 400, "That is not an order number", UID_RULE, uid)
        try:
            body = await self._lookup(uid)
        except StorageUnavailable:
            return trouble(
                request,
                503,
                "Orders are unavailable",
                "The order database cannot be reached right now; try again in a moment.",
                uid,
            )
        if body is None:
            return trouble(request, 404, "No such order", "No order has this number. Check it and search again.", uid)
        return aiohttp_jinja2.render_template("order.html", request, {"order": orjson.loads(body)})


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


def favicon(icon_url: str) -> Handler:
    """Browsers ask for ``/favicon.ico`` whatever the page links: send them to the SVG icon."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(icon_url)

    return redirect


def add_routes(routes: Routes, pages: Pages) -> None:
    """Templates, the pages' files and the page routes."""
    env = aiohttp_jinja2.setup(
        routes.app,
        loader=jinja2.PackageLoader("app", "templates"),
        autoescape=True,
        filters=FILTERS,
        default_helpers=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    files = static_files.load(ASSETS)
    env.globals["asset"] = asset = static_files.urls(files)
    routes.add("GET", static_files.PREFIX + "/{filename}", static_files.handler(files), name="static")
    routes.add("GET", "/", pages.home, name="home")
    routes.add("GET", "/orders", pages.search, name="search")
    # (?s): a uid with a newline still reaches the handler, which answers 400
    routes.add("GET", "/orders/{order_uid:(?s:.+)}", pages.order_page, name="order-page", gated=starting_page)
    routes.add("GET", "/favicon.ico", favicon(asset["favicon.svg"]), name="favicon")

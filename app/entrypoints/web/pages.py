"""The web pages people use: ``/`` (search, recent orders, live counters) and ``/orders/{uid}``.

Server-rendered with jinja2 (autoescaped: everything from an order or a URL is
escaped); the search is a plain GET form, so it works without JavaScript. The
only script is ``static/live.js``, which keeps ``/`` up to date from ``/events``.
"""

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from app.domain.order_codec import decode_stored
from app.domain.order_summary import order_summary
from app.entrypoints.web import static_files
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.kept_answers import KeptAnswers
from app.entrypoints.web.order_pages import PAGE_ROUTE, OrderPages, page_representation
from app.entrypoints.web.page_format import FILTERS
from app.entrypoints.web.routing import Guard, Routes
from app.entrypoints.web.trouble_page import UID_RULE, VALID_UID, starting_page, trouble
from app.ports.metrics import HttpTimings
from app.ports.order_cache import OrderCache
from app.ports.order_repository import StorageUnavailable
from app.service_layer.order_lookup import ListOrders, OrderLookup
from app.service_layer.service_stats import ServiceStats

ASSETS = ("style.css", "live.js", "favicon.svg")
RECENT_LIMIT = 20
RECENT_TIMEOUT = 3.0


class Pages:
    """The page handlers, over what they show."""

    def __init__(
        self,
        list_orders: ListOrders,
        stats: ServiceStats,
        cache: OrderCache,
        is_ready: Callable[[], bool],
    ) -> None:
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
        return [order_summary(decode_stored(body)) for _, body in page.orders], None

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


def favicon(icon_url: str) -> Handler:
    """Browsers ask for ``/favicon.ico`` whatever the page links: send them to the SVG icon."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(icon_url)

    return redirect


def add_routes(
    routes: Routes,
    pages: Pages,
    *,
    lookup: OrderLookup,
    page_cache: KeptAnswers,
    access: ApiAccess,
    timings: HttpTimings,
) -> None:
    """Templates, the pages' files and the page routes; with ``API_PROTECT_READS`` the pages that
    show orders need the token as the JSON does."""
    loader = jinja2.PackageLoader("app", "templates")
    env = aiohttp_jinja2.setup(
        routes.app,
        loader=loader,
        autoescape=True,
        filters=FILTERS,
        default_helpers=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    files = static_files.load(ASSETS)
    env.globals["asset"] = asset = static_files.urls(files)
    read: Guard = access.refuse_read
    routes.add("GET", static_files.PREFIX + "/{filename}", static_files.handler(files), name="static")
    routes.add("GET", "/", pages.home, name="home", guard=read)
    routes.add("GET", "/orders", pages.search, name="search")
    made_of = [loader.get_source(env, name)[0].encode() for name in sorted(env.list_templates())]
    made_of += [file.body for _, file in sorted(files.items())]
    order_pages = OrderPages(lookup, page_cache, access, page_representation(made_of))
    # The hot route first, as for the JSON (order_api.py). (?s): a uid with a newline still reaches
    # the handler, which answers 400.
    resource = routes.app.router.add_resource("/orders/{order_uid:(?s:.+)}", name="order-page")
    for method in ("GET", "HEAD"):
        render = routes.wrap(method, PAGE_ROUTE, order_pages.render, gated=starting_page, guard=read)
        resource.add_route(method, order_pages.cached(timings, method, render))
    routes.add("GET", "/favicon.ico", favicon(asset["favicon.svg"]), name="favicon")

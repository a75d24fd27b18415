"""``GET /api/orders/{order_uid}``, and the routes of the whole order API.

A cached order is answered by the hot handler alone: a dict lookup, a
recorded hit and a response built from ready bytes, timed inline, without the
wrappers of ``routing.py`` (``docs/performance.md``). Anything else (not
cached, malformed, or before the service is ready) goes to the read-through
handler, which is wrapped and gated like every other route.
"""

import re
from bisect import bisect_left
from time import perf_counter

from aiohttp import web
from aiohttp.typedefs import Handler

from app.domain.model import ORDER_UID_PATTERN
from app.domain.order_lookup import ListOrders, OrderLookup
from app.domain.submit_order import SubmitOrder
from app.entrypoints.web import api_listing, api_submit
from app.entrypoints.web.problems import problem
from app.entrypoints.web.routing import Routes, not_ready_problem
from app.entrypoints.web.security_headers import API_JSON_HEADERS
from app.ports.metrics import HttpTimings
from app.ports.order_cache import OrderCache
from app.ports.order_repository import StorageUnavailable

VALID_UID = re.compile(ORDER_UID_PATTERN)
ORDER_ROUTE = "/api/orders/{order_uid}"


def cached_order_handler(cache: OrderCache, timings: HttpTimings, method: str, read_through: Handler) -> Handler:
    """``method /api/orders/{order_uid}``: cached orders here, the rest by ``read_through``."""
    found, buckets = timings.series(ORDER_ROUTE, method, 200), timings.buckets
    fastest = buckets[0]  # where cached hits land: checked before bisecting
    peek, record_hit = cache.peek, cache.record_hit

    async def get_order(request: web.Request) -> web.StreamResponse:
        started = perf_counter()
        order_uid = request.match_info["order_uid"]
        body = peek(order_uid)
        if body is None:
            return await read_through(request)
        record_hit(order_uid)
        response = web.Response(body=body, headers=API_JSON_HEADERS)
        elapsed = perf_counter() - started
        found[0 if elapsed < fastest else bisect_left(buckets, elapsed)] += 1  # timings.observe, inline
        found[-1] += elapsed
        return response

    return get_order


def read_through_handler(lookup: OrderLookup) -> Handler:
    async def read_order(request: web.Request) -> web.Response:
        order_uid = request.match_info["order_uid"]
        if not VALID_UID.fullmatch(order_uid):
            return problem(
                400,
                "Malformed order_uid",
                "order_uid is 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'",
                order_uid=order_uid,
            )
        try:
            body = await lookup(order_uid)  # counts the miss, reads through
        except StorageUnavailable:
            return problem(503, "Storage unavailable", "the order database cannot be reached; retry")
        if body is None:
            return problem(404, "Order not found", f"no order with order_uid {order_uid!r}", order_uid=order_uid)
        return web.Response(body=body, content_type="application/json")

    return read_order


def add_routes(
    routes: Routes,
    *,
    lookup: OrderLookup,
    list_orders: ListOrders,
    submit: SubmitOrder,
    cache: OrderCache,
    timings: HttpTimings,
) -> None:
    # The hot route first: aiohttp tries the routes under a path prefix in the order they were added.
    order = routes.app.router.add_resource(ORDER_ROUTE, name="api-order")
    for method in ("GET", "HEAD"):
        read_through = routes.wrap(method, ORDER_ROUTE, read_through_handler(lookup), gated=not_ready_problem)
        order.add_route(method, cached_order_handler(cache, timings, method, read_through))
    listing = api_listing.handler(list_orders)
    routes.add("GET", "/api/orders", listing, name="api-orders", gated=not_ready_problem)
    routes.add("POST", "/api/orders", api_submit.handler(submit), name="api-orders", gated=not_ready_problem)

"""JSON API for orders: ``GET /api/orders/{order_uid}``, and the routes of the whole order API.

The cached path is a dict lookup, a recorded hit and a response built from
ready bytes, timed inline (no wrapper, see ``request_timing.py``); anything
else validates the uid and reads through to the database. The listing and the
submission live in ``api_listing.py`` and ``api_submit.py``.
"""

import re
from bisect import bisect_left
from time import perf_counter

from aiohttp import web
from aiohttp.typedefs import Handler

from app.domain.model import ORDER_UID_PATTERN
from app.entrypoints.service import OrderService
from app.entrypoints.web.api_listing import list_orders
from app.entrypoints.web.api_submit import submit_order
from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.problems import complete_responses, problem
from app.entrypoints.web.security_headers import API_JSON_HEADERS, add_security_headers
from app.ports.order_repository import StorageUnavailable

VALID_UID = re.compile(ORDER_UID_PATTERN)
ORDER_ROUTE = "/api/orders/{order_uid}"


def order_handler(service: OrderService, method: str) -> Handler:
    """``method /api/orders/{order_uid}`` for this service: a closure over what it uses, so a
    cached hit costs no ``request.app[...]`` and no Python call (the cache's ``peek`` and
    ``record_hit`` are C calls, see ``memory_order_cache.py``)."""
    timings = service.metrics.http_timings
    found, buckets = timings.series(ORDER_ROUTE, method, 200), timings.buckets
    fastest = buckets[0]  # where cached hits land: checked before bisecting
    peek, record_hit = service.cache.peek, service.cache.record_hit

    @complete_responses
    async def get_order(request: web.Request) -> web.Response:
        started = perf_counter()
        order_uid = request.match_info["order_uid"]
        body = peek(order_uid)
        if body is None:  # not cached, not valid or not ready: the counted, checked way
            response = await _read_through(service, order_uid)
            add_security_headers(response)
            timings.observe(ORDER_ROUTE, method, response.status, perf_counter() - started)
            return response
        record_hit(order_uid)
        response = web.Response(body=body, headers=API_JSON_HEADERS)
        elapsed = perf_counter() - started
        found[0 if elapsed < fastest else bisect_left(buckets, elapsed)] += 1  # timings.observe, inline
        found[-1] += elapsed
        return response

    return get_order


async def _read_through(service: OrderService, order_uid: str) -> web.Response:
    if not VALID_UID.fullmatch(order_uid):
        return problem(400, "Malformed order_uid",
                       "order_uid is 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'", order_uid=order_uid)
    if service.lookup is None:
        return problem(503, "Starting", "the service is not ready yet")
    try:
        body = await service.lookup(order_uid)  # counts the miss, reads through
    except StorageUnavailable:
        return problem(503, "Storage unavailable", "the order database cannot be reached; retry")
    if body is None:
        return problem(404, "Order not found", f"no order with order_uid {order_uid!r}", order_uid=order_uid)
    return web.Response(body=body, content_type="application/json")


def add_routes(app: web.Application) -> None:
    # The hot route first: aiohttp tries the routes under a path prefix in the order they were added.
    service = app[SERVICE]
    order = app.router.add_resource(ORDER_ROUTE, name="api-order")
    for method in ("GET", "HEAD"):
        order.add_route(method, order_handler(service, method))
    orders = app.router.add_resource("/api/orders", name="api-orders")
    orders.add_route("HEAD", list_orders)
    orders.add_route("GET", list_orders)
    orders.add_route("POST", submit_order)

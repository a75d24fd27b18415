"""``GET /api/orders/{order_uid}``, and the routes of the whole order API.

A cached order is answered by the hot handler of ``kept_answers.py``; anything
else (not cached, malformed, before the service is ready, a conditional request)
goes to the read-through handler here, wrapped, guarded and gated like every
other route.
"""

import re

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from app.domain.model import ORDER_UID_PATTERN
from app.entrypoints.tracing import Tracing
from app.entrypoints.web import api_listing, api_submit, cacheable, kept_answers
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.kept_answers import KeptAnswers
from app.entrypoints.web.problems import problem
from app.entrypoints.web.routing import Routes, not_ready_problem
from app.entrypoints.web.security_headers import API_JSON_HEADERS
from app.ports.metrics import HttpTimings
from app.ports.order_repository import StorageUnavailable
from app.service_layer.order_lookup import ListOrders, OrderLookup
from app.service_layer.submit_order import SubmitOrder

VALID_UID = re.compile(ORDER_UID_PATTERN)
ORDER_ROUTE = "/api/orders/{order_uid}"


def order_headers(protected: bool) -> CIMultiDict[str]:
    """Every header of a found order's answer but its ETag and length, in the order they are sent."""
    return cacheable.with_cache_control(API_JSON_HEADERS, cacheable.cache_control(protected))


ETAG_PREFIX = cacheable.etag_prefix(cacheable.JSON_REPRESENTATION)


def read_through_handler(lookup: OrderLookup, protected: bool) -> Handler:
    headers = order_headers(protected)

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
            body = await lookup(order_uid)  # counts the hit or the miss, reads through
        except StorageUnavailable:
            return cacheable.not_stored(
                problem(503, "Storage unavailable", "the order database cannot be reached; retry")
            )
        if body is None:
            return cacheable.not_stored(
                problem(404, "Order not found", f"no order with order_uid {order_uid!r}", order_uid=order_uid)
            )
        return kept_answers.answer(request, body, headers, ETAG_PREFIX)

    return read_order


def add_routes(
    routes: Routes,
    *,
    lookup: OrderLookup,
    list_orders: ListOrders,
    submit: SubmitOrder,
    cache: KeptAnswers,
    timings: HttpTimings,
    access: ApiAccess,
    tracing: Tracing,
) -> None:
    # The hot route first: aiohttp tries the routes under a path prefix in the order they were added.
    order = routes.app.router.add_resource(ORDER_ROUTE, name="api-order")
    read, write = access.refuse_read, access.refuse_write
    for method in ("GET", "HEAD"):
        handler = read_through_handler(lookup, access.protect_reads)
        read_through = routes.wrap(method, ORDER_ROUTE, handler, gated=not_ready_problem, guard=read)
        headers = order_headers(access.protect_reads)
        timed = timings, ORDER_ROUTE, method
        order.add_route(method, kept_answers.kept_handler(cache, headers, ETAG_PREFIX, timed, read_through, access))
    listing = api_listing.handler(list_orders)
    routes.add("GET", "/api/orders", listing, name="api-orders", gated=not_ready_problem, guard=read)
    submit_handler = tracing.server_handler(api_submit.handler(submit), "/api/orders")
    routes.add("POST", "/api/orders", submit_handler, name="api-orders", gated=not_ready_problem, guard=write)

"""``GET /api/orders``: stored orders, newest first, a page at a time.

Keyset pagination: a page lists orders below the cursor's id, and new orders
always get higher ids, so paging goes on without gaps or repeats while orders
keep arriving (they show up on a fresh first page). The body is put together
from the JSON bytes the repository hands back, without parsing them again.
"""

from aiohttp import web
from aiohttp.typedefs import Handler

from app.entrypoints.web import api_params as params
from app.entrypoints.web.problems import problem
from app.ports.order_repository import OrderNotStorable, StorageUnavailable
from app.service_layer.order_lookup import ListOrders


def handler(list_orders: ListOrders) -> Handler:
    async def list_handler(request: web.Request) -> web.Response:
        query = request.query
        try:
            limit = params.limit(query)
            before_id = params.cursor(query)
            customer_id = params.exact_filter(query, "customer_id")
            track_number = params.exact_filter(query, "track_number")
        except params.BadParameter as error:
            return error.response()
        try:
            page = await list_orders(limit, before_id, customer_id, track_number)
        except StorageUnavailable:
            return problem(503, "Storage unavailable", "the order database cannot be reached; retry")
        except OrderNotStorable as error:  # the database refused the filter values themselves
            return problem(400, "Invalid query parameter", str(error))
        after = page.next_before_id
        next_cursor = b"null" if after is None else b'"%s"' % params.encode_cursor(after).encode()
        items = b",".join(json for _, json in page.orders)
        return web.Response(
            body=b'{"items":[' + items + b'],"next_cursor":' + next_cursor + b"}",
            content_type="application/json",
        )

    return list_handler

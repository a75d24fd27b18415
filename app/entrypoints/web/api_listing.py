"""``GET /api/orders``: stored orders, newest first, a page at a time.

Keyset pagination: a page lists orders below the cursor's id, and new orders
always get higher ids, so paging goes on without gaps or repeats while orders
keep arriving (they show up on a fresh first page). The body is put together
from the JSON bytes the repository hands back, without parsing them again.
"""

from aiohttp import web

from app.entrypoints.service import resolve
from app.entrypoints.web import api_params as params
from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.problems import problem
from app.ports.order_repository import OrderNotStorable, OrderRepository, StorageUnavailable


async def list_orders(request: web.Request) -> web.Response:
    query = request.query
    try:
        limit = params.limit(query)
        before_id = params.cursor(query)
        customer_id = params.exact_filter(query, "customer_id")
        track_number = params.exact_filter(query, "track_number")
    except params.BadParameter as error:
        return error.response()
    service = request.app[SERVICE]
    if service.lookup is None:
        return problem(503, "Starting", "the service is not ready yet")
    repository: OrderRepository = await resolve(service.container.repository)
    try:
        rows = await repository.list_json(limit + 1, before_id, customer_id, track_number)
    except StorageUnavailable:
        return problem(503, "Storage unavailable", "the order database cannot be reached; retry")
    except OrderNotStorable as error:  # the database refused the filter values themselves
        return problem(400, "Invalid query parameter", str(error))
    page = rows[:limit]
    more = len(rows) > limit
    next_cursor = b'"%s"' % params.encode_cursor(page[-1][0]).encode() if more else b"null"
    body = b'{"items":[' + b",".join(json for _, json in page) + b'],"next_cursor":' + next_cursor + b"}"
    return web.Response(body=body, content_type="application/json")

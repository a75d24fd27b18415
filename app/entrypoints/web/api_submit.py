"""``POST /api/orders``: submit an order to the stream the service ingests from.

The body is validated like an ingested message (``parse_order``); a valid one
is published as sent, with ``Nats-Msg-Id`` = ``order_uid`` so a re-sent POST
is dropped by the stream. ``?wait=N`` waits up to N seconds for the order to be
stored: the ingest path puts every stored (or already stored) order in the
cache, so the wait polls the cache, then reads through to the database once.
An order stored earlier with other content is a conflict (409).
"""

import asyncio

import orjson
from aiohttp import web

from app.domain.document import serialize
from app.domain.validation import InvalidOrder, parse_order
from app.entrypoints.service import OrderService
from app.entrypoints.web import api_params as params
from app.entrypoints.web.app_keys import SERVICE
from app.entrypoints.web.problems import problem
from app.ports.order_publisher import PublishFailed
from app.ports.order_repository import StorageUnavailable

POLL_SECONDS = 0.02


async def submit_order(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return problem(415, "Unsupported Media Type", "send the order as Content-Type: application/json",
                       content_type=request.content_type)
    try:
        wait = params.wait_seconds(request.query)
    except params.BadParameter as error:
        return error.response()
    raw = await request.read()  # over client_max_size: 413, made a problem by the route's wrapper
    try:
        order = parse_order(raw)
    except InvalidOrder as error:
        errors = [{"path": v.path, "message": v.message} for v in error.violations]
        return problem(422, "Invalid order", error.reason, errors=errors)
    service = request.app[SERVICE]
    if service.publisher is None or service.lookup is None:
        return problem(503, "Starting", "the service is not ready yet")
    uid, submitted = order.order_uid, serialize(order).json
    stored = await _stored_version(service, uid)
    if stored is not None and stored != submitted:
        return _conflict(uid)
    try:
        await service.publisher.publish(raw, uid)
    except PublishFailed as error:
        return problem(503, "Stream unavailable", f"the order was not accepted: {error}; retry")
    if wait is None:
        return _accepted(uid)
    stored = stored or await _wait_until_stored(service, uid, wait)
    if stored is None:
        return _accepted(uid)
    if stored != submitted:
        return _conflict(uid)
    return web.Response(status=201, body=stored, content_type="application/json", headers=_location(uid))


async def _stored_version(service: OrderService, uid: str) -> bytes | None:
    """The stored JSON of the order, from the cache or else the database; None if not (yet) known."""
    body = service.cache.get(uid)
    if body is not None:
        return body
    try:
        return await service.lookup.load(uid)
    except StorageUnavailable:
        return None  # the stream still takes the order; storage catches up when it is back


async def _wait_until_stored(service: OrderService, uid: str, wait: float) -> bytes | None:
    deadline = asyncio.get_running_loop().time() + wait
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        body = service.cache.peek(uid)  # polling must not skew hit/miss counts
        if body is not None:
            return body
    return await _stored_version(service, uid)


def _location(uid: str) -> dict[str, str]:
    return {"Location": f"/api/orders/{uid}"}


def _accepted(uid: str) -> web.Response:
    body = orjson.dumps({"order_uid": uid, "status": "accepted"})
    return web.Response(status=202, body=body, content_type="application/json", headers=_location(uid))


def _conflict(uid: str) -> web.Response:
    response = problem(409, "Conflict", f"order {uid!r} is already stored with different content",
                       order_uid=uid)
    response.headers.update(_location(uid))
    return response

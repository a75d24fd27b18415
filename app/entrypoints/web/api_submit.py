"""``POST /api/orders``: an order submitted over HTTP, published to the stream (``SubmitOrder``)."""

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from app.domain.validation import InvalidOrder
from app.entrypoints.web import api_params as params
from app.entrypoints.web.problems import problem
from app.ports.order_publisher import MessageTooLarge, PublishFailed
from app.service_layer.submit_order import SubmitOrder, Verdict


def handler(submit: SubmitOrder) -> Handler:
    async def submit_order(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return problem(
                415,
                "Unsupported Media Type",
                "send the order as Content-Type: application/json",
                content_type=request.content_type,
            )
        try:
            wait = params.wait_seconds(request.query)
        except params.BadParameter as error:
            return error.response()
        if (request.content_length or 0) > request.client_max_size:  # said at once, not after waiting for it
            return _too_large(request.client_max_size, request.content_length)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:  # sent without a Content-Length, and over client_max_size
            return _too_large(request.client_max_size)
        try:
            submission = await submit(raw, wait)
        except InvalidOrder as error:
            errors = [{"path": v.path, "message": v.message} for v in error.violations]
            return problem(422, "Invalid order", error.reason, errors=errors)
        except MessageTooLarge as error:  # with its headers, over what the NATS server takes
            return _too_large(error.limit, error.size)
        except PublishFailed as error:
            return problem(503, "Stream unavailable", f"the order was not accepted: {error}; retry")
        uid = submission.order_uid
        location = {"Location": f"/api/orders/{uid}"}
        if submission.verdict is Verdict.CONFLICT:
            response = problem(
                409, "Conflict", f"order {uid!r} is already stored with different content", order_uid=uid
            )
            response.headers.update(location)
            return response
        if submission.verdict is Verdict.STORED:
            return web.Response(
                status=201, body=submission.stored_json, content_type="application/json", headers=location
            )
        body = orjson.dumps({"order_uid": uid, "status": "accepted"})
        return web.Response(status=202, body=body, content_type="application/json", headers=location)

    return submit_order


def _too_large(limit: int, size: int | None = None) -> web.Response:
    """413, saying the limit: 1 MiB, or less when the NATS server's max_payload is smaller."""
    sent = f" (this one is {size})" if size is not None else ""
    return problem(413, "Request Entity Too Large", f"an order is at most {limit} bytes{sent}", limit=limit)

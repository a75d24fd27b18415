"""RFC 9457 problem details: every error the web app returns is one of these."""

import functools
import logging
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return web.Response(status=status, body=orjson.dumps(body), content_type=PROBLEM_JSON)


def from_http_error(error: web.HTTPException) -> web.Response:
    text = error.text or ""
    detail = None if text.startswith(f"{error.status}:") else text or None
    response = problem(error.status, error.reason, detail)
    for name in ("Allow", "Retry-After"):
        if name in error.headers:
            response.headers[name] = error.headers[name]
    return response


def answering_problems(handler: Handler) -> Handler:
    """The handler, with aiohttp's HTTP errors and any crash answered as problems."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as error:
            if error.status < 400:
                raise  # redirects are answers, not errors
            return from_http_error(error)
        except web.RequestPayloadError:  # what aiohttp raises when a body cannot be read or decoded
            return problem(400, "Bad Request", "the request body could not be read: a broken Content-Encoding?")
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return problem(500, "Internal Server Error", "the error was logged")

    return wrapped


async def no_route(request: web.Request) -> web.Response:
    """Last route of all: the path exists under other methods (405) or not at all (404)."""
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        if resource.name != "no-route":
            allowed |= (await resource.resolve(request))[1]  # methods, when the path matches
    if allowed:
        response = problem(405, "Method Not Allowed", f"{request.method} is not allowed here")
        response.headers["Allow"] = ",".join(sorted(allowed))
        return response
    return problem(404, "Not Found", f"nothing at {request.path}")

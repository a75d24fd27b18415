"""RFC 9457 problem details: every error the web app returns is one of these."""

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


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn aiohttp's own HTTP errors (404 route, 405, 413, ...) and crashes into problems."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400 or error.content_type == PROBLEM_JSON:
            raise
        response = problem(error.status, error.reason, _detail(error))
        for name in ("Allow", "Retry-After", "Location"):
            if name in error.headers:
                response.headers[name] = error.headers[name]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal Server Error", "the error was logged")


def _detail(error: web.HTTPException) -> str | None:
    text = error.text or ""
    return None if text.startswith(f"{error.status}:") else text or None

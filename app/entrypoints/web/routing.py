"""Adding routes whose handlers are wrapped once, when they are added.

What middlewares would do, without their cost on every request (the cached
lookup has none of it): a wrapped handler's errors become problems, its
responses leave with the security headers, its requests are timed by route,
when guarded it answers the guard's refusal (say, a 401 without a token),
and, when gated, it answers 503 until the service is ready.
"""

import functools
from collections.abc import Callable
from time import perf_counter

from aiohttp import web
from aiohttp.typedefs import Handler

from app.entrypoints.web.problems import answering_problems, problem
from app.entrypoints.web.security_headers import with_security_headers
from app.ports.metrics import HttpTimings

NotReadyAnswer = Callable[[web.Request], web.StreamResponse]
Guard = Callable[[web.Request], web.StreamResponse | None]
"""Looks at a request before its handler: None lets it through, else the answer to send instead."""


def not_ready_problem(request: web.Request) -> web.Response:
    return problem(503, "Starting", "the service is not ready yet; retry")


class Routes:
    """The app's router, with each handler wrapped as the module docstring says."""

    def __init__(self, app: web.Application, timings: HttpTimings, is_ready: Callable[[], bool]) -> None:
        self.app = app
        self._timings = timings
        self._is_ready = is_ready

    def add(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        name: str | None = None,
        gated: NotReadyAnswer | None = None,
        guard: Guard | None = None,
    ) -> None:
        """``gated``: answer with it until the service is ready; ``guard``: see ``Guard`` (it
        answers first, ready or not). A GET route answers HEAD too, as with aiohttp's ``add_get``."""
        resource = self.app.router.add_resource(path, name=name)
        for each in ("GET", "HEAD") if method == "GET" else (method,):
            resource.add_route(each, self.wrap(each, resource.canonical, handler, gated, guard))

    def wrap(
        self,
        method: str,
        route: str,
        handler: Handler,
        gated: NotReadyAnswer | None = None,
        guard: Guard | None = None,
    ) -> Handler:
        """``handler`` as ``add`` registers it, timed under ``route`` (a path template)."""
        if gated is not None:
            handler = _gate(handler, self._is_ready, gated)
        if guard is not None:
            handler = _guarded(handler, guard)
        handler = with_security_headers(answering_problems(handler))
        return _timed(handler, self._timings, route, None if method == "*" else method)


def _gate(handler: Handler, is_ready: Callable[[], bool], answer: NotReadyAnswer) -> Handler:
    @functools.wraps(handler)
    async def gated(request: web.Request) -> web.StreamResponse:
        if not is_ready():
            return answer(request)
        return await handler(request)

    return gated


def _guarded(handler: Handler, guard: Guard) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        refusal = guard(request)
        if refusal is not None:
            return refusal
        return await handler(request)

    return guarded


def _timed(handler: Handler, timings: HttpTimings, route: str, method: str | None) -> Handler:
    """Records each answer under ``route``, ``method`` (None: the request's) and its status."""

    @functools.wraps(handler)
    async def timed(request: web.Request) -> web.StreamResponse:
        started = perf_counter()
        try:
            response = await handler(request)
        except web.HTTPException as answer:  # a raised redirect is an answer too
            timings.observe(route, method or request.method, answer.status, perf_counter() - started)
            raise
        timings.observe(route, method or request.method, response.status, perf_counter() - started)
        return response

    return timed

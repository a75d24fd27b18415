"""The hot path of ``GET /api/orders/{order_uid}`` and ``GET /orders/{order_uid}``, in one place.

Both answer from bytes kept by ``order_uid`` (the order's JSON in the order cache,
its rendered page in the page cache): a dict lookup, a hit recorded for the
cache's recency, a response built from prebuilt headers and an ``ETag`` made from
the uid (``cacheable.py``), timed inline, without the wrappers of ``routing.py``.
Anything else (not kept, a conditional request, a request without its token when
reads need one) goes to the route's ``through`` handler, wrapped, guarded and
gated like every other route, which ends with ``answer``. How each trick was
measured is in ``docs/performance.md``.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from time import perf_counter
from typing import Protocol

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from app.entrypoints.web import cacheable
from app.entrypoints.web.api_access import ApiAccess
from app.ports.metrics import HttpTimings

SETTLE_EVERY = 0.1  # seconds between applying the recorded hits to the caches' recency


class KeptAnswers(Protocol):
    """Ready answers by ``order_uid`` whose hits are recorded now and applied later
    (``MemoryOrderCache``): a hit is two C calls, ``peek`` and ``record_hit``."""

    def peek(self, order_uid: str) -> bytes | None: ...

    def record_hit(self, order_uid: str) -> None: ...

    def put(self, order_uid: str, body: bytes) -> None: ...

    def settle(self) -> None: ...


def kept_handler(
    kept: KeptAnswers,
    headers: CIMultiDict[str],
    etag_prefix: str,
    timed: tuple[HttpTimings, str, str],
    through: Handler,
    access: ApiAccess,
) -> Handler:
    """``method route`` (``timed``: the timings, the route, the method): kept answers here, the rest ``through``."""
    timings, route, method = timed
    observe = timings.observe
    peek, record_hit, etag = kept.peek, kept.record_hit, cacheable.ETAG
    if_none_match, authorization, allows = hdrs.IF_NONE_MATCH, hdrs.AUTHORIZATION, access.allows
    protected = access.protect_reads

    async def kept_answer(request: web.Request) -> web.StreamResponse:
        started = perf_counter()
        order_uid = request.match_info["order_uid"]
        body = peek(order_uid)
        asked = request.headers
        if body is None or if_none_match in asked or (protected and not allows(asked.get(authorization))):
            return await through(request)
        record_hit(order_uid)
        answer = headers.copy()  # C calls only: a copy, an add (aiohttp copies it once more)
        answer.add(etag, etag_prefix + order_uid + '"')
        response = web.Response(body=body, headers=answer)
        observe(route, method, 200, perf_counter() - started)
        return response

    return kept_answer


def answer(request: web.Request, body: bytes, headers: CIMultiDict[str], etag_prefix: str) -> web.Response:
    """The found order's answer on the ``through`` path: a 304 when ``If-None-Match`` names its ETag."""
    found = CIMultiDict(headers)
    found.add(cacheable.ETAG, etag_prefix + request.match_info["order_uid"] + '"')
    if cacheable.matches(request, found[cacheable.ETAG]):
        return cacheable.not_modified(found)
    return web.Response(body=body, headers=found)


def settling(*caches: KeptAnswers) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that applies the caches' recorded hits several times a second,
    which also bounds their lists of hits."""

    async def settle_while_serving(app: web.Application) -> AsyncIterator[None]:
        async def settle() -> None:
            while True:
                for cache in caches:
                    cache.settle()
                await asyncio.sleep(SETTLE_EVERY)

        task = asyncio.create_task(settle(), name="cache-settle")
        yield
        task.cancel()

    return settle_while_serving

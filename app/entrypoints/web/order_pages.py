"""``GET /orders/{order_uid}``: an order's page, rendered once and kept, like the JSON it is made of.

A page is rendered the first time it is asked for and kept as bytes in a
bounded cache (``PAGE_CACHE_MAX_PAGES`` pages); a kept page is answered by the
hot handler alone, as the cached JSON lookup is (``order_api.py``): a dict
lookup and prebuilt headers, timed inline. Everything else (a page not kept
yet, a conditional request, a malformed uid, before the service is ready, a
request without its token when reads need one) goes to the render-through
handler, wrapped, guarded and gated like every other route. Pages carry the
same caching headers as the JSON; their ETag's prefix is a digest of the
templates and files a page is made with, so a new look is a new ETag.
"""

import hashlib
from bisect import bisect_left
from collections.abc import Iterable
from time import perf_counter

import aiohttp_jinja2
import orjson
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from app.entrypoints.web import cacheable
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.security_headers import PAGE_HTML_HEADERS
from app.entrypoints.web.trouble_page import UID_RULE, VALID_UID, trouble
from app.ports.metrics import HttpTimings
from app.ports.order_cache import OrderCache
from app.ports.order_repository import StorageUnavailable
from app.service_layer.order_lookup import OrderLookup

PAGE_ROUTE = "/orders/{order_uid}"


def page_representation(parts: Iterable[bytes]) -> str:
    """The prefix of the pages' ETags: a digest of what they are made from."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return "h" + digest.hexdigest()[:12]


class OrderPages:
    """The two handlers of the order page, over the cache of rendered pages."""

    def __init__(
        self,
        lookup: OrderLookup,
        pages: OrderCache,
        access: ApiAccess,
        representation: str,
    ) -> None:
        self._lookup = lookup
        self._pages = pages
        self._access = access
        self._etag_prefix = cacheable.etag_prefix(representation)
        self._headers = cacheable.with_cache_control(PAGE_HTML_HEADERS, cacheable.cache_control(access.protect_reads))

    def cached(self, timings: HttpTimings, method: str, render_through: Handler) -> Handler:
        """Kept pages here, the rest by ``render_through`` (``render`` as the routes wrap it)."""
        found, buckets = timings.series(PAGE_ROUTE, method, 200), timings.buckets
        fastest, peek = buckets[0], self._pages.peek
        headers, etag_prefix, etag = self._headers, self._etag_prefix, cacheable.ETAG
        if_none_match, authorization, allows = hdrs.IF_NONE_MATCH, hdrs.AUTHORIZATION, self._access.allows
        protected = self._access.protect_reads

        async def order_page(request: web.Request) -> web.StreamResponse:
            started = perf_counter()
            order_uid = request.match_info["order_uid"]
            body = peek(order_uid)
            asked = request.headers
            if body is None or if_none_match in asked or (protected and not allows(asked.get(authorization))):
                return await render_through(request)
            answer = headers.copy()
            answer.add(etag, etag_prefix + order_uid + '"')
            response = web.Response(body=body, headers=answer)
            elapsed = perf_counter() - started
            found[0 if elapsed < fastest else bisect_left(buckets, elapsed)] += 1  # timings.observe, inline
            found[-1] += elapsed
            return response

        return order_page

    async def render(self, request: web.Request) -> web.Response:
        uid = request.match_info["order_uid"]
        if not VALID_UID.fullmatch(uid):
            return trouble(request, 400, "That is not an order number", UID_RULE, uid)
        page = self._pages.peek(uid)
        if page is None:
            try:
                body = await self._lookup(uid)
            except StorageUnavailable:
                message = "The order database cannot be reached right now; try again in a moment."
                return cacheable.not_stored(trouble(request, 503, "Orders are unavailable", message, uid))
            if body is None:
                message = "No order has this number. Check it and search again."
                return cacheable.not_stored(trouble(request, 404, "No such order", message, uid))
            page = aiohttp_jinja2.render_string("order.html", request, {"order": orjson.loads(body)}).encode()
            self._pages.put(uid, page)
        answer = CIMultiDict(self._headers)
        answer.add(cacheable.ETAG, self._etag_prefix + uid + '"')
        if cacheable.matches(request, answer[cacheable.ETAG]):
            return cacheable.not_modified(answer)
        return web.Response(body=page, headers=answer)

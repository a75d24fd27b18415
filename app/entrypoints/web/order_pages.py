"""``GET /orders/{order_uid}``: an order's page, rendered once and kept, like the JSON it is made of.

A page is rendered the first time it is asked for and kept as bytes in a
bounded cache (``PAGE_CACHE_MAX_PAGES`` pages); a kept page is answered by the
hot handler of ``kept_answers.py``, as the cached JSON is. Everything else (a
page not kept yet, a conditional request, a malformed uid, before the service is
ready) goes to the render-through handler, wrapped, guarded and gated like every
other route. Pages carry the
same caching headers as the JSON; their ETag's prefix is a digest of the
templates and files a page is made with, so a new look is a new ETag.
"""

import hashlib
from collections.abc import Iterable

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from app.domain.order_codec import decode_stored
from app.entrypoints.web import cacheable, kept_answers
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.kept_answers import KeptAnswers
from app.entrypoints.web.security_headers import PAGE_HTML_HEADERS
from app.entrypoints.web.trouble_page import UID_RULE, VALID_UID, trouble
from app.entrypoints.web.unlaid_fields import unlaid_fields
from app.ports.metrics import HttpTimings
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
        pages: KeptAnswers,
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
        timed = timings, PAGE_ROUTE, method
        return kept_answers.kept_handler(
            self._pages, self._headers, self._etag_prefix, timed, render_through, self._access
        )

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
            order = decode_stored(body)
            shown = {"order": order, "more": unlaid_fields(order)}
            page = aiohttp_jinja2.render_string("order.html", request, shown).encode()
            self._pages.put(uid, page)
        return kept_answers.answer(request, page, self._headers, self._etag_prefix)

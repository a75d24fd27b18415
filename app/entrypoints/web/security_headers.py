"""Security headers on every response: a strict CSP and friends.

Handlers are wrapped (``routing.py``) rather than served through a middleware
or an ``on_response_prepare`` signal, which would cost every request, the
cached lookup's included; that one builds its response from
``API_JSON_HEADERS`` itself, a prebuilt multidict aiohttp copies as it is
(``docs/performance.md``).

JSON (the API, problem details) is never a document a browser runs, so it gets
the short set OWASP's REST Security Cheat Sheet gives for API responses: no
framing (here with a CSP that allows nothing at all) and ``nosniff``.
``Referrer-Policy`` governs the requests a document makes, and JSON makes none.
Pages and files get the full set. A response that sets its own
``Content-Security-Policy`` (say, a page that needs a looser one) keeps it; the
other headers are always the same. Every one of them names the server
``SERVER_NAME``, without aiohttp's default that gives the Python and aiohttp
versions (``headers.setdefault`` keeps ours).
"""

import functools

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict, istr

CSP = istr("Content-Security-Policy")
SERVER_NAME = "order-service"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
_OTHER_HEADERS = CIMultiDict(
    {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        hdrs.SERVER: SERVER_NAME,
    }
)
_ALL_HEADERS = CIMultiDict(_OTHER_HEADERS, **{CSP: CONTENT_SECURITY_POLICY})
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
API_SECURITY_HEADERS = CIMultiDict(
    {  # for JSON, and for handlers that build JSON responses whole
        CSP: API_CONTENT_SECURITY_POLICY,
        hdrs.X_CONTENT_TYPE_OPTIONS: "nosniff",
        hdrs.SERVER: SERVER_NAME,
    }
)
API_JSON_HEADERS = CIMultiDict([(hdrs.CONTENT_TYPE, "application/json"), *API_SECURITY_HEADERS.items()])
"""Every header of a JSON response but its length: what the hot lookup hands ``web.Response``."""
PAGE_HTML_HEADERS = CIMultiDict([(hdrs.CONTENT_TYPE, "text/html; charset=utf-8"), *_ALL_HEADERS.items()])
"""Every header of a page but its length and caching: what the hot order page starts from."""


def add_security_headers(response: web.StreamResponse) -> None:
    headers = response.headers
    if response.content_type.endswith("json"):
        headers.update(API_SECURITY_HEADERS)
    elif CSP in headers:
        for name, value in _OTHER_HEADERS.items():
            headers[name] = value
    else:
        headers.extend(_ALL_HEADERS)


def with_security_headers(handler: Handler) -> Handler:
    """The handler's responses (and redirects) leave with the security headers."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as redirect:  # a raised 3xx is a response too
            add_security_headers(redirect)
            raise
        add_security_headers(response)
        return response

    return wrapped

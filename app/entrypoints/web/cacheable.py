"""Answers proxies and browsers may keep: a stored order never changes.

Once stored, an order's document is fixed (a different version is a conflict;
the first stays), so its answer is valid for as long as its representation is
the same. Its strong ``ETag`` is therefore made from the uid alone, behind a
representation prefix: the JSON's is ``JSON_REPRESENTATION`` (raise it when the
served JSON changes form), the page's a digest of the templates and files it is
made with. A ``GET`` with a matching ``If-None-Match`` gets a 304; answers that
may change (a 404, a 503) are marked ``no-store``.
"""

from aiohttp import hdrs, web
from multidict import CIMultiDict, istr

JSON_REPRESENTATION = "j1"
IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"  # when reading needs a token
NO_STORE = "no-store"
ETAG = istr(hdrs.ETAG)
VALIDATOR_HEADERS = (hdrs.CACHE_CONTROL, hdrs.ETAG)  # what a 304 repeats of the 200 it stands for


def etag_prefix(representation: str) -> str:
    """An ETag is ``prefix + order_uid + '"'`` (a uid needs no escaping: ``[A-Za-z0-9_-]``)."""
    return f'"{representation}-'


def cache_control(protected: bool) -> str:
    return PRIVATE_IMMUTABLE if protected else IMMUTABLE


def with_cache_control(headers: CIMultiDict[str], value: str) -> CIMultiDict[str]:
    """``headers`` and a Cache-Control, as one prebuilt multidict (copied by aiohttp in C per answer)."""
    return CIMultiDict([*headers.items(), (hdrs.CACHE_CONTROL, value)])


def matches(request: web.Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 says for it) or is ``*``."""
    candidates = request.if_none_match or ()
    value = etag[1:-1]
    return any(candidate.value in (value, "*") for candidate in candidates)


def not_modified(answer_headers: CIMultiDict[str]) -> web.Response:
    """The 304 for an answer with ``answer_headers``: its validators and caching rules, no body."""
    headers = CIMultiDict((name, answer_headers[name]) for name in VALIDATOR_HEADERS if name in answer_headers)
    return web.Response(status=304, headers=headers)


def not_stored(response: web.Response) -> web.Response:
    response.headers[hdrs.CACHE_CONTROL] = NO_STORE
    return response

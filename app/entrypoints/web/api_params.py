"""Query parameters of the JSON API: parsing, bounds and the opaque listing cursor.

The OpenAPI document (``route_docs.py``) states the same rules from the
constants here, so the documented bounds and patterns are the enforced ones.
A bad value raises :class:`BadParameter`, which the handler turns into a 400
problem naming the parameter.
"""

import base64
import math
import re

from aiohttp import web
from multidict import MultiMapping

from app.domain.model import INT64_MAX
from app.entrypoints.web.problems import problem

LIMIT_DEFAULT, LIMIT_MAX = 20, 100
WAIT_MAX = 30.0
FILTER_MAX_LENGTH = 256
FILTER_PATTERN = r"^[^\x00]*$"
# A cursor is the URL-safe base64 (no padding) of the last listed id as 8 big-endian bytes: 11
# characters; the first admits only ids below 2**63, the last only the 4 bits the 8th byte has left.
CURSOR_PATTERN = r"^[A-Za-f][A-Za-z0-9_-]{9}[AEIMQUYcgkosw048]$"
_CURSOR = re.compile(CURSOR_PATTERN)
_DIGITS = re.compile(r"[0-9]{1,3}")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class BadParameter(Exception):
    """A query parameter that breaks its rule."""

    def __init__(self, name: str, rule: str) -> None:
        super().__init__(f"{name}: {rule}")
        self.name = name
        self.rule = rule

    def response(self) -> web.Response:
        return problem(400, "Invalid query parameter", f"{self.name} {self.rule}", parameter=self.name)


def single(query: MultiMapping[str], name: str) -> str | None:
    """The parameter's one value, None when absent; a repeated parameter is an error."""
    values = query.getall(name, ())
    if len(values) > 1:
        raise BadParameter(name, "must be given at most once")
    return values[0] if values else None


def limit(query: MultiMapping[str]) -> int:
    raw = single(query, "limit")
    if raw is None:
        return LIMIT_DEFAULT
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= LIMIT_MAX:
        raise BadParameter("limit", f"must be an integer from 1 to {LIMIT_MAX}")
    return int(raw)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(last_id.to_bytes(8, "big")).rstrip(b"=").decode()


def cursor(query: MultiMapping[str]) -> int | None:
    """The id to list below, from the ``next_cursor`` of the previous page."""
    raw = single(query, "cursor")
    if raw is None:
        return None
    if not _CURSOR.fullmatch(raw):
        raise BadParameter("cursor", "is not a cursor this API handed out; use next_cursor as it is")
    last_id = int.from_bytes(base64.urlsafe_b64decode(raw + "="), "big")
    assert 0 <= last_id <= INT64_MAX  # the pattern admits nothing else
    return last_id


def exact_filter(query: MultiMapping[str], name: str) -> str | None:
    raw = single(query, name)
    if raw is not None and (len(raw) > FILTER_MAX_LENGTH or "\x00" in raw):
        raise BadParameter(name, f"must be at most {FILTER_MAX_LENGTH} characters, none of them NUL")
    return raw


def wait_seconds(query: MultiMapping[str]) -> float | None:
    """``?wait=N``: how long to wait for the order to be stored; None when not asked to."""
    raw = single(query, "wait")
    if raw is None:
        return None
    seconds = float(raw) if _NUMBER.fullmatch(raw) else math.nan
    if not 0 <= seconds <= WAIT_MAX:
        raise BadParameter("wait", f"must be a number of seconds from 0 to {WAIT_MAX:g}")
    return seconds

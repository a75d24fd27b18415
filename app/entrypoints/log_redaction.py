"""Secrets kept out of every log line, whatever a request or an error message holds.

Each line the process logs (message, context, traceback, text or JSON) goes
through :class:`RedactingFormatter`, which masks:

- the value of an ``Authorization``, ``Proxy-Authorization``, ``Cookie`` or
  ``Set-Cookie`` header quoted anywhere (say, aiohttp echoing a header line it
  could not parse), up to the end of the line or of the quote;
- the credentials after ``Bearer`` or ``Basic``;
- the password in a URL (``scheme://user:password@host``);
- every configured secret (the API tokens, the passwords in ``NATS_URL`` and
  ``DATABASE_URL``) wherever it appears.

What is masked becomes ``[redacted]``; a JSON line stays valid JSON (no mask
crosses a double quote).
"""

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "[redacted]"
SHORTEST_SECRET = 4  # shorter ones would mask ordinary words
# A value runs to the end of its line or quote; a backslash escape (``\x01`` as repr writes a
# control byte, ``\\n`` in JSON) is part of it, but ``\"`` (JSON's quote) ends it.
_VALUE = r"""(?:[^'"\\\r\n]|\\\\|\\[^"])+"""
_WORD = r"""(?:[^\s'"\\]|\\\\|\\[^"\s])+"""
_HEADER_VALUE = re.compile(r"(?i)\b((?:proxy-)?authorization|(?:set-)?cookie)(\s*[:=]\s*)" + _VALUE)
_CREDENTIALS = re.compile(r"(?i)\b(bearer|basic)(\s+)" + _WORD)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/'\"]+(@)")


class Redactor:
    """Masks secrets in a text: the patterns above, and the known values given."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        known = sorted({s for s in secrets if len(s) >= SHORTEST_SECRET}, key=len, reverse=True)
        self._known = re.compile("|".join(map(re.escape, known))) if known else None

    def __call__(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(MASK, text)
        text = _HEADER_VALUE.sub(rf"\1\2{MASK}", text)
        text = _CREDENTIALS.sub(rf"\1\2{MASK}", text)
        return _URL_PASSWORD.sub(rf"\1{MASK}\2", text)


class RedactingFormatter(logging.Formatter):
    """Another formatter's lines, with the secrets masked."""

    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self.inner = inner
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(self.inner.format(record))


def url_passwords(*urls: str | None) -> list[str]:
    """The passwords in these URLs (``NATS_URL`` may list several servers, comma-separated)."""
    found = []
    for url in urls:
        for each in (url or "").split(","):
            try:
                password = urlsplit(each.strip()).password
            except ValueError:  # not a URL at all: nothing to find in it
                continue
            if password:
                found.append(password)
    return found

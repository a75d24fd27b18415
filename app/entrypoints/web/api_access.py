"""Who may use the API: bearer tokens (RFC 6750) for writes, and for reads when asked.

``POST /api/orders`` needs ``Authorization: Bearer <token>`` with one of the
configured tokens (``API_TOKENS``, comma-separated, and/or ``API_TOKENS_FILE``,
one per line; blank lines and ``#`` comments are skipped). With none
configured, writes are refused with a 403 that says how to enable them. With
``API_PROTECT_READS``, the JSON read API and the pages that show orders need a
token too. Tokens are kept as SHA-256 digests and compared in constant time,
each against all, so neither a token's content nor which one matched shows in
the timing; no token is ever logged.
"""

import hashlib
import hmac
from collections.abc import Iterable
from pathlib import Path

from aiohttp import hdrs, web
from pydantic import SecretStr

from app.entrypoints.web.problems import problem

REALM = "order-service"
HOW_TO_ENABLE = (
    "writes are disabled: no API token is configured. Set API_TOKENS (comma-separated) or"
    " API_TOKENS_FILE (one token per line), then send Authorization: Bearer <token>"
)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def read_tokens(tokens: SecretStr | None, tokens_file: str | None) -> list[str]:
    """The tokens of ``API_TOKENS`` and ``API_TOKENS_FILE``; a file that cannot be read stops the start."""
    found = [t.strip() for t in (tokens.get_secret_value() if tokens else "").split(",")]
    if tokens_file:
        try:
            lines = Path(tokens_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise SystemExit(f"API_TOKENS_FILE cannot be read: {error}") from error
        found += [line.strip() for line in lines if not line.lstrip().startswith("#")]
    return [token for token in found if token]


class ApiAccess:
    """Checks a request's bearer token; ``None`` lets it through, else the refusal to send."""

    def __init__(self, tokens: Iterable[str], protect_reads: bool = False) -> None:
        self._digests = tuple(_digest(token) for token in tokens)
        self.protect_reads = protect_reads
        if protect_reads and not self._digests:
            raise SystemExit("API_PROTECT_READS needs API_TOKENS or API_TOKENS_FILE")

    @classmethod
    def from_settings(cls, tokens: SecretStr | None, tokens_file: str | None, protect_reads: bool) -> "ApiAccess":
        return cls(read_tokens(tokens, tokens_file), protect_reads)

    @property
    def writes_enabled(self) -> bool:
        return bool(self._digests)

    def allows(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header value carries one of the tokens."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        digest, matched = _digest(token.strip()), False
        for known in self._digests:  # every one, whatever matched before
            matched |= hmac.compare_digest(digest, known)
        return matched

    def refuse_write(self, request: web.Request) -> web.Response | None:
        if not self._digests:
            return problem(403, "Writes disabled", HOW_TO_ENABLE)
        return self._refuse(request)

    def refuse_read(self, request: web.Request) -> web.Response | None:
        return self._refuse(request) if self.protect_reads else None

    def _refuse(self, request: web.Request) -> web.Response | None:
        authorization = request.headers.get(hdrs.AUTHORIZATION)
        if self.allows(authorization):
            return None
        if authorization is None:
            response = problem(401, "Unauthorized", "send Authorization: Bearer <token>")
            response.headers[hdrs.WWW_AUTHENTICATE] = f'Bearer realm="{REALM}"'
        else:
            response = problem(401, "Unauthorized", "the bearer token is not one of this service's API tokens")
            response.headers[hdrs.WWW_AUTHENTICATE] = f'Bearer realm="{REALM}", error="invalid_token"'
        return response

"""How every NATS connection of the service and its commands is made: servers, credentials, TLS, logs.

One function, :func:`nats_options`, turns the settings into nats-py's
``connect`` arguments, so ``orders serve``, ``orders produce`` and the other
commands authenticate and encrypt alike:

- user and password: in ``NATS_URL`` itself (``nats://user:password@host:4222``);
- a credentials file (user JWT and nkey seed): ``NATS_CREDS``; a bare nkey seed file: ``NATS_NKEY_SEED``;
- pings: every ``NATS_PING_INTERVAL_SECONDS``; after ``NATS_MAX_OUTSTANDING_PINGS`` unanswered the
  connection is taken as lost and the client reconnects (a cut link sends no reset);
- TLS: a ``tls://`` URL, or a server that requires it; ``NATS_TLS_CA`` names the CA that signed
  the servers' certificates (else the system's CAs), ``NATS_TLS_CERT`` and ``NATS_TLS_KEY`` a client
  certificate for servers that verify clients.

While the servers are away, nats-py reports every failed reconnect attempt (once a second);
:class:`ConnectionLog` logs the first of an outage as a WARNING, the rest at DEBUG, and the
disconnection and reconnection at INFO.
"""

import logging
import re
import ssl
from typing import Any

import nats.errors

from app.entrypoints.connections import server_list
from app.entrypoints.settings import Settings

log = logging.getLogger("app.nats")
REFUSALS = re.compile("authorization violation|permissions violation|authentication", re.IGNORECASE)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """A client TLS context when a CA or a client certificate is configured; None: nats-py's default."""
    if not (settings.nats_tls_ca or settings.nats_tls_cert):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.nats_tls_ca)
    if settings.nats_tls_cert:
        context.load_cert_chain(settings.nats_tls_cert, settings.nats_tls_key)
    return context


def nats_options(settings: Settings, name: str) -> dict[str, Any]:
    """``nats.connect(**nats_options(settings, name))``: the servers, who we are, TLS and quiet logs."""
    if not settings.nats_url:
        raise ValueError("NATS_URL is not set")
    events = ConnectionLog(name)
    options: dict[str, Any] = {
        "servers": server_list(settings.nats_url),
        "name": name,
        "error_cb": events.error,
        "disconnected_cb": events.disconnected,
        "reconnected_cb": events.reconnected,
        # Pings find a link that went silent (dropped, not reset): the client then reconnects.
        "ping_interval": settings.nats_ping_interval_seconds,
        "max_outstanding_pings": settings.nats_max_outstanding_pings,
    }
    if settings.nats_creds:
        options["user_credentials"] = settings.nats_creds
    if settings.nats_nkey_seed:
        options["nkeys_seed"] = settings.nats_nkey_seed
    tls = tls_context(settings)
    if tls is not None:
        options["tls"] = tls
    return options


class ConnectionLog:
    """The connection's callbacks: one WARNING per outage, not one ERROR traceback per attempt."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._failing = False

    async def error(self, error: Exception) -> None:
        if not isinstance(error, (OSError, TimeoutError, nats.errors.Error)):
            log.error("NATS client error (%s)", self._name, exc_info=error)
            return
        if isinstance(error, nats.errors.AuthorizationError) or REFUSALS.search(str(error)):
            log.error("NATS (%s) refused: %s", self._name, error)  # credentials or permissions to fix
            return
        level = logging.DEBUG if self._failing else logging.WARNING
        self._failing = True
        log.log(level, "NATS (%s): %s", self._name, str(error) or type(error).__name__)

    async def disconnected(self) -> None:
        """Also at every planned close (a command's exit): the error callback says what went wrong, if anything."""
        log.debug("disconnected from NATS (%s)", self._name)

    async def reconnected(self) -> None:
        self._failing = False
        log.info("reconnected to NATS (%s)", self._name)

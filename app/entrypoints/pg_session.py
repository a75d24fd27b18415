"""How the service's PostgreSQL connections survive a silent link (packets dropped, no reset).

- ``timeout``: asyncpg's connect timeout (its default is 60 s), ``DB_CONNECT_TIMEOUT``.
- ``server_settings``, sent with each connection: the server's TCP keepalives and
  ``tcp_user_timeout`` make it drop a session whose client went silent for about
  ``DB_DEAD_CLIENT_SECONDS``, rolling back its transaction. Without them a session cut in
  the middle of a transaction (a COPY in flight) stays "idle in transaction" with its locks
  after the link comes back, blocking every later writer, because the client has long
  given that connection up. ``idle_in_transaction_session_timeout``
  (``DB_IDLE_IN_TRANSACTION_TIMEOUT``) bounds that state whatever the cause.
"""

import math
from typing import Any

from app.entrypoints.settings import Settings


def pg_connect_options(settings: Settings) -> dict[str, Any]:
    """asyncpg ``connect`` keyword arguments (given to every connection of the pool)."""
    server_settings: dict[str, str] = {}
    dead = settings.db_dead_client_seconds
    if dead > 0:
        # Idle for half the time, then three probes over the other half; unacknowledged data: all of it.
        server_settings["tcp_keepalives_idle"] = str(max(1, math.ceil(dead / 2)))
        server_settings["tcp_keepalives_interval"] = str(max(1, math.ceil(dead / 6)))
        server_settings["tcp_keepalives_count"] = "3"
        server_settings["tcp_user_timeout"] = str(math.ceil(dead * 1000))
    if settings.db_idle_in_transaction_timeout > 0:
        idle_ms = math.ceil(settings.db_idle_in_transaction_timeout * 1000)
        server_settings["idle_in_transaction_session_timeout"] = str(idle_ms)
    return {"timeout": settings.db_connect_timeout, "server_settings": server_settings}

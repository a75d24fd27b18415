"""Helper for picking a free local TCP port."""

from __future__ import annotations

import socket

# Well-known ports used by unrelated services on dev machines; never hand these out.
_RESERVED = frozenset({4222, 5432, 6222, 8222})


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that is free right now (bind to 0, read, close)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in _RESERVED:
            return port

"""A name for this instance of the service, unique across hosts, processes and restarts."""

import os
import secrets
import socket


def new_instance_id() -> str:
    """``host-pid-random``: readable in logs and metrics, and never reused by a restarted process."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"

"""How a command (``orders dlq``, ``orders produce``, ``orders migrate``) reaches its servers: within
``COMMAND_CONNECT_TIMEOUT``, else :class:`Unreachable`, which ``cli.py`` prints as one line.

Left to themselves, nats-py retries a server that refuses 60 times, 2 s apart, and waits on one
that accepts but never answers; libpq waits on the latter for ever. A command tries each NATS
server a few times, 1 s apart, within the deadline, and says nothing of each attempt (the one
line says what failed); once connected, the connection logs as the service's does. (NATS is
imported only by the commands that use it: ``orders --help`` does not load it.)
"""

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from app.entrypoints.settings import Settings

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS

ATTEMPTS_PER_SERVER = 3


class Unreachable(Exception):
    """A server a command needs did not answer or refused it; the message is the line to print."""


def where(urls: str) -> str:
    """``host:port`` of each server in a URL list, without any credentials."""
    found = []
    for url in (each.strip() for each in urls.split(",") if each.strip()):
        try:
            parts = urlsplit(url if "://" in url else f"//{url}")
            found.append(f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname))
        except ValueError:
            found.append("?")
    return ", ".join(found)


async def connect_nats(settings: Settings, name: str) -> "NATS":
    """A connection to NATS for a command, or :class:`Unreachable` within the command's deadline."""
    import nats
    import nats.errors

    from app.entrypoints.nats_options import nats_options

    if not settings.nats_url:
        raise ValueError("NATS_URL is not set")
    options = nats_options(settings, name)
    log_when_connected = options["error_cb"]
    last: list[BaseException] = []
    connected = asyncio.Event()

    async def on_error(error: Exception) -> None:
        if connected.is_set():
            await log_when_connected(error)
        else:
            last[:] = [error]

    timeout = settings.command_connect_timeout
    servers = f"NATS at {where(settings.nats_url)}"
    try:
        async with asyncio.timeout(timeout):
            nc = await nats.connect(
                **{**options, "error_cb": on_error},
                connect_timeout=max(timeout / ATTEMPTS_PER_SERVER, 0.5),
                reconnect_time_wait=1,
                max_reconnect_attempts=ATTEMPTS_PER_SERVER - 1,
            )
    except TimeoutError:
        raise Unreachable(f"{servers} did not answer within {timeout:g} s{_last(last)}") from None
    except (OSError, nats.errors.Error) as error:
        raise Unreachable(f"{servers} cannot be reached: {_said(error)}{_last(last)}") from None
    connected.set()
    return nc


def _said(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__


def _last(errors: list[BaseException]) -> str:
    return f" (last: {_said(errors[0])})" if errors else ""


def migrate_database(settings: Settings, rollback: int | None) -> list[str]:
    """``orders migrate``: apply the migrations (or roll back ``rollback`` of them); the ids done.

    :class:`Unreachable` when PostgreSQL refuses or does not answer within the deadline, or another
    migration holds yoyo's lock past its own time-out."""
    import psycopg
    from yoyo.exceptions import LockTimeout

    from app.adapters.yoyo_migrator import YoyoMigrator

    assert settings.database_url
    timeout = settings.command_connect_timeout
    migrator = YoyoMigrator(settings.database_url, connect_timeout=timeout)
    servers = f"PostgreSQL at {where(settings.database_url)}"
    try:
        return migrator.rollback(rollback) if rollback else migrator.apply()
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Unreachable(f"{servers} cannot be reached: {first_line}") from None
    except LockTimeout as error:
        raise Unreachable(f"{servers}: {error}") from None

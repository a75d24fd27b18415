"""The servers a bench run uses: NATS and PostgreSQL, and a fresh database and stream names.

NATS_URL / DATABASE_URL name servers to use; otherwise embedded ones start on
free ports under a temporary directory (PostgreSQL with its durable defaults:
fsync, synchronous_commit and full_page_writes on). The machine's own 4222
and 5432 are never touched.
"""

import contextlib
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres


@dataclass(frozen=True)
class Servers:
    nats_url: str
    postgres_url: str  # the server's maintenance database, to create and drop ours


@contextlib.contextmanager
def servers(work_dir: Path) -> Iterator[Servers]:
    with contextlib.ExitStack() as stack:
        nats_url = os.environ.get("NATS_URL")
        if not nats_url:
            nats_url = stack.enter_context(NatsServerProcess(work_dir / "nats")).url
        postgres_url = os.environ.get("DATABASE_URL")
        if not postgres_url:
            postgres_url = stack.enter_context(PgserverPostgres(work_dir / "postgres")).url
        yield Servers(nats_url, postgres_url)


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@contextlib.asynccontextmanager
async def fresh_database(server_url: str):
    """A new, empty database for this run (the service migrates it); dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    try:
        yield with_database(server_url, name)
    finally:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()


def service_env(nats_url: str, database_url: str, tag: str) -> dict[str, str]:
    """Environment for `orders serve`: our servers, our own stream, subject and consumer."""
    return {
        "NATS_URL": nats_url,
        "DATABASE_URL": database_url,
        "HTTP_HOST": "127.0.0.1",
        "ORDERS_STREAM": f"BENCH_{tag}",
        "ORDERS_SUBJECT": f"bench_{tag}.new",
        "ORDERS_CONSUMER": f"order-service-{tag}",
        "DLQ_STREAM": f"BENCH_DLQ_{tag}",
        "DLQ_SUBJECT": f"bench_{tag}.dlq",
        "LOG_LEVEL": "INFO",
        "API_TOKENS": secrets.token_urlsafe(24),  # the soak posts orders
    }


def new_tag() -> str:
    return uuid.uuid4().hex[:8]

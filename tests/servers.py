"""Real servers for the tests: embedded ones on free ports, or those named by env vars."""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from app.adapters.yoyo_migrator import YoyoMigrator
from app.entrypoints.settings import Settings

FAST_PG = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
API_TOKEN = "integration-test-token"  # in every test's settings; the test clients send it
TEST_STREAM_BYTES = 64 * 2**20  # what every test's ORDERS may hold (a quarter of it, ORDERS_DLQ)
AUTHORIZED = {"Authorization": f"Bearer {API_TOKEN}"}


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def create_database(server_url: str, template: str | None = None) -> str:
    """A new database on the server; its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server_url)
    try:
        suffix = f" TEMPLATE {template}" if template else ""
        await conn.execute(f"CREATE DATABASE {name}{suffix}")
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


async def migrated_template(server_url: str) -> str:
    """A database with the migrations applied, to copy per test."""
    url = await create_database(server_url)
    YoyoMigrator(url).apply()
    return urlsplit(url).path.lstrip("/")


def isolated_settings(nats_url: str, database_url: str, **overrides) -> Settings:
    """Settings whose streams, subjects and consumer no other test shares."""
    tag = uuid.uuid4().hex[:10]
    values = {
        "nats_url": nats_url,
        "database_url": database_url,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "orders_stream": f"ORDERS_{tag}",
        "orders_subject": f"orders_{tag}.new",
        "orders_consumer": f"order-service-{tag}",
        "dlq_stream": f"ORDERS_DLQ_{tag}",
        "dlq_subject": f"orders_{tag}.dlq",
        "orders_stored_subject": f"orders_{tag}.stored",
        "db_command_timeout": 5.0,
        "api_tokens": API_TOKEN,
        # Small size limits: JetStream reserves each stream's on the shared test server.
        "orders_stream_max_bytes": TEST_STREAM_BYTES,
        "dlq_stream_max_bytes": TEST_STREAM_BYTES // 4,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@contextmanager
def postgres_data_dir() -> Iterator[Path]:
    """A data directory outside pytest's tmp tree, whose 0700 folders the postgres user cannot enter."""
    base = Path(tempfile.mkdtemp(prefix="orders-pg-"))
    base.chmod(0o755)
    try:
        yield base / "data"
    finally:
        shutil.rmtree(base, ignore_errors=True)

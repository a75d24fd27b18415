"""Integration tests for the embedded Postgres and NATS server adapters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import nats
import psycopg
import pytest

from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres

FAST_PG = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[PgserverPostgres]:
    server = PgserverPostgres(tmp_path / "pgdata", options=FAST_PG)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServerProcess]:
    server = NatsServerProcess(tmp_path / "nats")
    try:
        yield server
    finally:
        server.stop()


def _count_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM orders WHERE sku = 'abc'").fetchone()
        assert row is not None
        return int(row[0])


def test_postgres_survives_restart_and_crash(pg: PgserverPostgres) -> None:
    url = pg.url
    assert ":5432/" not in url
    pg.start()
    assert pg.is_running
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, sku text NOT NULL)")
        conn.execute("INSERT INTO orders (sku) VALUES ('abc')")
        assert conn.execute("SHOW max_connections").fetchone() == ("200",)
        assert conn.execute("SHOW fsync").fetchone() == ("off",)

    pg.stop()
    assert not pg.is_running
    pg.stop()  # idempotent
    pg.start()
    assert _count_rows(url) == 1

    pg.kill()
    assert not pg.is_running
    pg.start()
    assert pg.url == url
    assert _count_rows(url) == 1


def test_postgres_context_manager(tmp_path: Path) -> None:
    with PgserverPostgres(tmp_path / "db") as server, psycopg.connect(server.url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not server.is_running
    assert (tmp_path / "db.log").exists()


async def _publish(url: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="ORDERS", subjects=["orders.>"], storage="file")
        ack = await js.publish("orders.created", b"order-1")
        assert ack.seq == 1
    finally:
        await nc.close()


async def _read_back(url: str) -> bytes:
    nc = await nats.connect(url)
    try:
        msg = await nc.jetstream().get_msg("ORDERS", 1)
        assert msg.data is not None
        return msg.data
    finally:
        await nc.close()


def test_nats_jetstream_survives_restart_and_crash(nats_server: NatsServerProcess) -> None:
    url = nats_server.url
    assert not url.endswith(":4222")
    nats_server.start()
    asyncio.run(_publish(url))

    nats_server.stop()
    assert not nats_server.is_running
    nats_server.stop()  # idempotent
    nats_server.start()
    assert asyncio.run(_read_back(url)) == b"order-1"

    nats_server.kill()
    nats_server.start()
    assert nats_server.url == url
    assert asyncio.run(_read_back(url)) == b"order-1"


def test_nats_context_manager(tmp_path: Path) -> None:
    with NatsServerProcess(tmp_path / "js") as server:
        assert server.is_running
    assert not server.is_running
    assert (tmp_path / "js.log").exists()

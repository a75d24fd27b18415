"""The service on a PostgreSQL primary and its synchronous standby (``tests/replicated_postgres.py``),
named together in ``DATABASE_URL``: the primary killed mid-ingest and the standby promoted; and
reads from the standby as a read replica, lagging and alone.

Each prints its figures (``pytest -s``), which docs/deployment.md quotes.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from app.domain.order_factory import OrderFactory
from tests.e2e.fault_workload import Workload, stored_now, verify
from tests.e2e.helpers import eventually, publish_orders
from tests.e2e.service_process import ServiceProcess
from tests.replicated_postgres import ReplicatedPostgres, pause_replay, promote, replicated_pair
from tests.servers import isolated_settings

ORDERS = 2000
RATE = 250.0  # a second: publishing lasts 8 s, through the failover and after it
ACK_WAIT = 3.0
OUTAGE = 2.0  # seconds between the primary's death and the promotion


@pytest.fixture
def pair() -> Iterator[ReplicatedPostgres]:
    with replicated_pair() as servers:
        yield servers


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "service.log"


@dataclass(frozen=True)
class Probe:
    asked_at: float  # loop time when the request was sent
    status: int
    database: bool | None


async def probing(service: ServiceProcess, probes: list[Probe]) -> None:
    """``/readyz`` every 50 ms until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        asked_at = loop.time()
        status, body = await service.get("/readyz")
        checks = body.get("checks", {}) if isinstance(body, dict) else {}
        probes.append(Probe(asked_at, status, checks.get("database")))
        await asyncio.sleep(0.05)


async def test_primary_killed_mid_ingest_and_standby_promoted_loses_and_doubles_nothing(
    pair: ReplicatedPostgres, nats_url: str, log_path: Path
) -> None:
    url = pair.url(pair.primary, pair.standby, target_session_attrs="read-write")
    settings = isolated_settings(nats_url, url, ingest_ack_wait_seconds=ACK_WAIT)
    service = ServiceProcess(settings, log_path)
    service.start()  # it migrates the database itself, through the two-host URL
    loop = asyncio.get_running_loop()
    probes: list[Probe] = []
    try:
        await service.wait_ready()
        workload = Workload(ORDERS, seed=41)
        publishing = asyncio.create_task(workload.publish(settings, rate=RATE))
        probe = asyncio.create_task(probing(service, probes))
        await eventually(lambda: _stored_at_least(settings.database_url or "", 200), 20, "ingest under way")

        killed_at = loop.time()
        pair.primary.kill()  # SIGKILL to the postmaster and its backends: no shutdown at all
        await eventually(lambda: _database_reported_down(probes), 10, "readyz to report the database")
        await asyncio.sleep(OUTAGE)
        promoted_at = loop.time()
        await promote(pair.standby)
        at_promotion = await stored_now(settings)
        await eventually(lambda: _stored_at_least(url, at_promotion + 1), 30, "ingest to resume")
        resumed_after = loop.time() - promoted_at

        await publishing
        outcome = await verify(settings, workload)
        await service.wait_ready()
        probe.cancel()
    finally:
        service.kill()
    print(outcome.line("PostgreSQL primary SIGKILL, standby promoted"), f"; ingest resumed {resumed_after:.1f} s after")

    assert len(workload.acked) == len(workload.messages)
    assert (outcome.lost, outcome.duplicated, outcome.wrong) == (0, 0, [])
    assert outcome.stored == len(workload.acked_orders) == ORDERS
    assert outcome.dead_lettered == len(workload.bad), "only the bad messages were dead-lettered"
    errors = [line for line in log_path.read_text().splitlines() if " ERROR " in line]
    assert errors == [], "a failover is an outage, never an unexpected failure of an order"

    before = [p for p in probes if p.asked_at < killed_at]
    without_primary = [p for p in probes if killed_at + 0.5 < p.asked_at < promoted_at]
    after = [p for p in probes if p.asked_at > promoted_at + resumed_after]
    assert before and all(p.status == 200 for p in before)
    assert without_primary and all((p.status, p.database) == (503, False) for p in without_primary)
    assert after and after[-1].status == 200 and after[-1].database is True


async def test_lookups_read_the_replica_and_the_primary_when_it_lags(pair: ReplicatedPostgres, nats_url, nc, log_path):
    """With a cache of one order every other lookup reads through: a lagging replica's miss is read
    from the primary, and with the primary gone the replica alone answers lookups and listings."""
    settings = isolated_settings(
        nats_url,
        pair.url(pair.primary, pair.standby),
        database_read_url=pair.url(pair.standby),
        cache_max_orders=1,
    )
    service = ServiceProcess(settings, log_path)
    service.start()
    factory = OrderFactory(seed=42)
    orders = [factory.order() for _ in range(2)]
    try:
        await service.wait_ready()
        await pause_replay(pair.standby, paused=True)
        await publish_orders(nc, settings, orders)
        await eventually(lambda: _stored_at_least(pair.url(pair.primary), 2), 20, "both orders stored")
        assert await _stored_at_least(pair.url(pair.standby), 1) is False, "the replica lags"
        for order in [*orders, *orders]:  # each lookup evicts the other order from the cache
            assert await service.get(f"/api/orders/{order['order_uid']}") == (200, order)

        await pause_replay(pair.standby, paused=False)
        await eventually(lambda: _stored_at_least(pair.url(pair.standby), 2), 20, "the replica to catch up")
        pair.primary.kill()
        for order in [*orders, *orders]:
            assert await service.get(f"/api/orders/{order['order_uid']}") == (200, order)
        status, listing = await service.get("/api/orders?limit=10")
        assert status == 200 and isinstance(listing, dict)
        assert [item["order_uid"] for item in listing["items"]] == [o["order_uid"] for o in reversed(orders)]
        status, readiness = await service.get("/readyz")
        assert status == 503 and isinstance(readiness, dict) and readiness["checks"]["database"] is False
    finally:
        service.kill()


async def _stored_at_least(url: str, count: int) -> bool:
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    try:
        stored: int = await conn.fetchval("SELECT count(*) FROM orders")
    finally:
        await conn.close()
    return stored >= count


async def _database_reported_down(probes: list[Probe]) -> bool:
    return bool(probes) and probes[-1].database is False


async def test_a_primary_turned_read_only_mid_ingest_is_an_outage(pair: ReplicatedPostgres, nats_url, log_path):
    """A fenced primary (``default_transaction_read_only``): every insert fails with ``cannot execute
    ... in a read-only transaction``, which must pause ingest, not dead-letter the orders."""
    settings = isolated_settings(nats_url, pair.url(pair.primary, pair.standby), ingest_ack_wait_seconds=ACK_WAIT)
    service = ServiceProcess(settings, log_path)
    service.start()
    admin = await asyncpg.connect(pair.url(pair.primary, database="postgres"))
    probes: list[Probe] = []
    try:
        await service.wait_ready()
        workload = Workload(ORDERS // 2, seed=43)
        publishing = asyncio.create_task(workload.publish(settings, rate=RATE))
        probe = asyncio.create_task(probing(service, probes))
        await eventually(lambda: _stored_at_least(settings.database_url or "", 100), 20, "ingest under way")
        await _read_only(admin, True)
        await eventually(lambda: _database_reported_down(probes), 10, "readyz to report the database")
        await asyncio.sleep(OUTAGE)
        await _read_only(admin, False)
        await publishing
        outcome = await verify(settings, workload)
        await service.wait_ready()
        probe.cancel()
    finally:
        await admin.close()
        service.kill()
    print(outcome.line("PostgreSQL primary read-only for 2 s"))
    assert (outcome.lost, outcome.duplicated, outcome.wrong) == (0, 0, [])
    assert outcome.stored == ORDERS // 2 and outcome.dead_lettered == len(workload.bad)
    assert [line for line in log_path.read_text().splitlines() if " ERROR " in line] == []


async def _read_only(admin: asyncpg.Connection, on: bool) -> None:
    """Fence (or unfence) the server: sessions pick the setting up at their next statement."""
    await admin.execute(
        "ALTER SYSTEM SET default_transaction_read_only = on"
        if on
        else "ALTER SYSTEM RESET default_transaction_read_only"
    )
    await admin.execute("SELECT pg_reload_conf()")

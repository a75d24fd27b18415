"""Partitions: the link to NATS or to PostgreSQL goes silent (packets dropped, no reset) mid-ingest.

The service runs as a real process in the root namespace; the server it loses sits in a
namespace of its own behind a link that is cut for a minute or for five (``network.py``).
Orders are published throughout (``fault_workload.py``: each retried until acknowledged).
Each test proves: ``/readyz`` names the lost server within ~10 s of the cut; a cached order is
served throughout, at once; after the heal the service is ready again and stores a new order
within ~10 s, by itself; and in the end every order published is stored exactly once, every
bad message dead-lettered once. Figures are printed (``make faults`` shows them).

``make faults`` runs these (``-m partition``); ``make test`` leaves them out.
"""

import asyncio
import time
from collections.abc import Callable

import asyncpg
import nats
import nats.errors
import orjson
import pytest

from app.domain.order_factory import OrderFactory
from app.entrypoints.settings import Settings
from tests.e2e.fault_workload import Workload, verify
from tests.e2e.service_process import ServiceProcess
from tests.faults.conftest import NATS_PORT, POSTGRES_PORT, Behind
from tests.faults.slow_relay import SlowRelay
from tests.faults.watch import CachedLookups, a_stored_uid, failing_checks, mid_ingest, seconds_until
from tests.servers import isolated_settings

pytestmark = [pytest.mark.partition, pytest.mark.timeout(900)]

ACK_WAIT = 10.0
NOTICED_WITHIN = 12.0  # "~10 s": the seconds allowed from the cut to /readyz naming the server
RECOVERED_WITHIN = 12.0  # and from the heal to ready again and a new order stored
FAST_PINGS = {"ping_interval": 1, "max_outstanding_pings": 2}  # the test's own publishers notice too
ServiceFactory = Callable[[Settings], ServiceProcess]


async def test_nats_link_cut_for_a_minute(nats_behind_link, database_url, service_factory) -> None:
    await nats_cut(nats_behind_link, database_url, service_factory, seconds=60)


async def test_nats_link_cut_for_five_minutes(nats_behind_link, database_url, service_factory) -> None:
    await nats_cut(nats_behind_link, database_url, service_factory, seconds=300)


async def test_postgres_link_cut_for_a_minute(postgres_behind_link, nats_url, service_factory) -> None:
    await postgres_cut(postgres_behind_link, nats_url, service_factory, seconds=60)


async def test_postgres_link_cut_for_five_minutes(postgres_behind_link, nats_url, service_factory) -> None:
    await postgres_cut(postgres_behind_link, nats_url, service_factory, seconds=300)


async def nats_cut(nats_server: Behind, database_url: str, service_factory: ServiceFactory, seconds: float) -> None:
    settings = isolated_settings(nats_server.url, database_url, ingest_ack_wait_seconds=ACK_WAIT)
    workload = Workload(3000, seed=31)
    await cut_mid_ingest(settings, workload, service_factory, nats_server, "nats", seconds, rate=200)


async def postgres_cut(postgres: Behind, nats_url: str, service_factory: ServiceFactory, seconds: float) -> None:
    settings = isolated_settings(nats_url, postgres.url, ingest_ack_wait_seconds=ACK_WAIT, db_command_timeout=10.0)
    workload = Workload(6000, seed=32)
    await cut_mid_ingest(settings, workload, service_factory, postgres, "database", seconds, rate=3000)


async def cut_mid_ingest(
    settings: Settings,
    workload: Workload,
    service_factory: ServiceFactory,
    server: Behind,
    check: str,
    seconds: float,
    rate: float,
) -> None:
    service = service_factory(settings)
    await service.wait_ready()
    publishing = asyncio.create_task(workload.publish(settings, rate=rate, **FAST_PINGS))
    await mid_ingest(settings, len(workload.orders))
    cached = CachedLookups(service, await a_stored_uid(settings))
    assert (await service.get(f"/api/orders/{cached.order_uid}"))[0] == 200
    cached.start()

    server.link.cut()
    cut_at = time.monotonic()
    noticed = await seconds_until(lambda: named(service, check), 60, f"/readyz naming {check}")
    uncached = await uncached_lookup_seconds(service) if check == "database" else 0.0
    await asyncio.sleep(max(0.0, cut_at + seconds - time.monotonic()))

    server.link.heal()
    ready = await seconds_until(lambda: is_ready(service), 120, "ready again")
    probe = OrderFactory(seed=99).order()
    await publish_probe(settings, workload, probe)
    resumed = await seconds_until(lambda: is_stored(settings, probe["order_uid"]), 120, "a new order stored")
    await cached.stop()
    await publishing
    outcome = await verify(settings, workload, timeout=180)

    print(
        f"\n{check} link cut for {seconds:.0f} s: /readyz named {check} {noticed:.1f} s after the cut;"
        f" ready {ready:.1f} s and a new order stored {resumed:.1f} s after the heal;"
        f" cached lookups {cached.asked - len(cached.bad)}/{cached.asked} answered at once"
        + (f"; 30 uncached ones answered 503 within {uncached:.1f} s" if check == "database" else "")
    )
    print(outcome.line(f"{check} link cut for {seconds:.0f} s"))
    assert noticed <= NOTICED_WITHIN, f"/readyz named {check} {noticed:.1f} s after the cut"
    assert ready <= RECOVERED_WITHIN, f"ready {ready:.1f} s after the heal"
    assert resumed <= RECOVERED_WITHIN, f"a new order stored {resumed:.1f} s after the heal"
    assert cached.bad == [], "a cached order is served throughout"
    assert uncached <= settings.db_command_timeout + 2, "a lookup that needs the database is bounded"
    assert len(workload.acked) == len(workload.messages), "the publisher got every message acknowledged"
    assert (outcome.lost, outcome.duplicated, outcome.wrong) == (0, 0, [])
    assert outcome.stored == len(workload.acked_orders)
    assert outcome.dead_lettered == len(workload.bad)
    if check == "database":
        assert await sessions_in_transaction_since_before(settings, seconds) == 0
    errors = [line for line in service.log_path.open() if " ERROR " in line or "Traceback" in line]
    assert errors == [], "a partition is an outage: logged as warnings, never as an error"


async def named(service: ServiceProcess, check: str) -> bool:
    failing = await failing_checks(service)
    return failing is not None and check in failing


async def is_ready(service: ServiceProcess) -> bool:
    return await failing_checks(service) == []


async def uncached_lookup_seconds(service: ServiceProcess, at_once: int = 30) -> float:
    """How long the slowest of ``at_once`` lookups of orders the service has not cached takes (each
    must ask the database; three times as many as the pool has connections)."""

    async def lookup(n: int) -> float:
        started = time.monotonic()
        status, _ = await asyncio.wait_for(service.get(f"/api/orders/never-stored-{n:04}"), 60)
        assert status == 503, "storage unavailable, said so"
        return time.monotonic() - started

    return max(await asyncio.gather(*(lookup(n) for n in range(at_once))))


async def publish_probe(settings: Settings, workload: Workload, order: dict) -> None:
    """Publish one more order (over a new connection), part of the workload from now on."""
    uid, body = order["order_uid"], orjson.dumps(order)
    workload.orders[uid] = order
    workload.messages.append((uid, body))
    nc = await nats.connect(settings.nats_url or "", connect_timeout=2, max_reconnect_attempts=-1)
    try:
        while True:
            try:
                await nc.jetstream().publish(settings.orders_subject, body, timeout=2, headers={"Nats-Msg-Id": uid})
            except (nats.errors.Error, TimeoutError):
                await asyncio.sleep(0.2)
                continue
            workload.acked.add(uid)
            return
    finally:
        await nc.close()


async def is_stored(settings: Settings, order_uid: str) -> bool:
    conn = await asyncpg.connect(settings.database_url, timeout=5)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM orders WHERE order_uid = $1", order_uid))
    finally:
        await conn.close()


async def sessions_in_transaction_since_before(settings: Settings, seconds: float) -> int:
    """Sessions still in a transaction begun more than ``seconds`` ago: one cut mid-transaction."""
    conn = await asyncpg.connect(settings.database_url, timeout=5)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE xact_start < now() - make_interval(secs => $1)"
            " AND pid <> pg_backend_pid()",
            float(seconds),
        )
    finally:
        await conn.close()
    return count


async def test_slow_links_with_stalls_lose_and_double_nothing(
    nats_behind_link, postgres_behind_link, service_factory
) -> None:
    """Both links slow (50-100 ms a chunk) and stalling now and then (2 s, as a burst of loss makes
    a TCP link do): ingest goes on, slower, and in the end every order is stored exactly once."""
    nats_relay = SlowRelay(nats_behind_link.link.server_address, NATS_PORT, seed=1)
    pg_relay = SlowRelay(postgres_behind_link.link.server_address, POSTGRES_PORT, seed=2)
    await nats_relay.start()
    await pg_relay.start()
    try:
        settings = isolated_settings(
            f"nats://127.0.0.1:{nats_relay.port}",
            f"postgresql://postgres@127.0.0.1:{pg_relay.port}/postgres",
            ingest_ack_wait_seconds=ACK_WAIT,
            db_command_timeout=10.0,
        )
        direct = settings.model_copy(
            update={"nats_url": nats_behind_link.url, "database_url": postgres_behind_link.url}
        )
        workload = Workload(3000, seed=33)
        service = service_factory(settings)
        await service.wait_ready(timeout=60)
        await workload.publish(direct, rate=100, **FAST_PINGS)  # 30 s of orders, straight to the stream
        outcome = await verify(direct, workload, timeout=180)
        ready = await seconds_until(lambda: is_ready(service), 30, "ready")
    finally:
        await nats_relay.close()
        await pg_relay.close()
    print(
        f"\nslow links: {nats_relay.stalls + pg_relay.stalls} stalls of 2 s; ready {ready:.1f} s after the last order"
    )
    print(outcome.line("slow links"))
    assert nats_relay.stalls + pg_relay.stalls > 0, "the links did stall"
    assert (outcome.lost, outcome.duplicated, outcome.wrong) == (0, 0, [])
    assert outcome.stored == len(workload.acked_orders)
    assert outcome.dead_lettered == len(workload.bad)

"""The service as a real process, against servers this test can hurt: crashes, outages, pauses, stops.

Each fault test publishes a few thousand orders and some bad messages while
the fault happens (``fault_workload.py``), and then every acknowledged order is
stored exactly once, as published, with its delivery, payment and every item;
every bad message is dead-lettered once; nothing else is stored; and the
service is ready again. Each prints its figures (``pytest -s``), which
``docs/reliability.md`` quotes.
"""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from app.adapters.yoyo_migrator import YoyoMigrator
from app.domain.order_factory import OrderFactory
from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres
from app.entrypoints.settings import Settings
from tests.e2e.fault_workload import Outcome, Workload, stored_now, verify
from tests.e2e.helpers import eventually, publish_orders
from tests.e2e.service_process import ServiceProcess
from tests.servers import FAST_PG, isolated_settings, postgres_data_dir

ORDERS = 2500
RATE = 800.0  # published a second: the publisher is still at it when the fault happens and after
ACK_WAIT = 3.0  # seconds: the faults that outlast it make JetStream redeliver what was in flight
ServiceFactory = Callable[[Settings], ServiceProcess]


@pytest.fixture
def own_postgres() -> Iterator[PgserverPostgres]:
    with postgres_data_dir() as data_dir:
        server = PgserverPostgres(data_dir, options=FAST_PG)
        server.start()
        YoyoMigrator(server.url).apply()
        yield server
        server.stop()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServerProcess]:
    server = NatsServerProcess(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def service_factory(tmp_path: Path) -> Iterator[ServiceFactory]:
    started: list[ServiceProcess] = []

    def make(settings: Settings) -> ServiceProcess:
        service = ServiceProcess(settings, tmp_path / f"service-{len(started)}.log")
        started.append(service)
        service.start()
        return service

    yield make
    for service in started:
        if service.process is not None and service.process.poll() is None:
            service.process.send_signal(signal.SIGCONT)  # a stopped one must be able to die
        service.kill()


async def hurt_while_publishing(
    settings: Settings, workload: Workload, fault: Callable[[], Awaitable[None]], rate: float = RATE
) -> None:
    """Publish the workload at ``rate``; ``fault`` runs once ingest is under way."""
    publishing = asyncio.create_task(workload.publish(settings, rate=rate))
    await mid_ingest(settings)
    await fault()
    await publishing


async def mid_ingest(settings: Settings, timeout: float = 20.0) -> None:
    """Return once some orders are stored but not all: a fault now hits ingest at work."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not 0 < await stored_now(settings) < ORDERS:
        assert asyncio.get_running_loop().time() < deadline, "ingest did not get under way"
        await asyncio.sleep(0.01)


async def assert_nothing_lost(settings: Settings, workload: Workload, service: ServiceProcess, fault: str) -> Outcome:
    outcome = await verify(settings, workload)
    print(outcome.line(fault))
    assert len(workload.acked) == len(workload.messages), "the publisher got every message acknowledged"
    assert (outcome.lost, outcome.duplicated, outcome.wrong) == (0, 0, [])
    assert outcome.stored == len(workload.acked_orders) == ORDERS
    assert outcome.dead_lettered == len(workload.bad)
    await service.wait_ready()
    errors = [line for log in service.log_path.parent.glob("service-*.log") for line in log.open() if " ERROR " in line]
    assert errors == [], "a fault is an outage, never an unexpected failure of an order"
    return outcome


async def test_kill_9_twice_mid_ingest_loses_and_doubles_nothing(database_url, nats_url, service_factory) -> None:
    settings = isolated_settings(nats_url, database_url, ingest_ack_wait_seconds=ACK_WAIT)
    workload = Workload(ORDERS, seed=11)
    first = service_factory(settings)
    await first.wait_ready()
    survivors: list[ServiceProcess] = []

    async def kill_twice() -> None:
        first.kill()
        second = service_factory(settings)
        await second.wait_ready()
        await mid_ingest(settings)
        second.kill()
        survivors.append(service_factory(settings))

    await hurt_while_publishing(settings, workload, kill_twice)
    await assert_nothing_lost(settings, workload, survivors[0], "service SIGKILL twice")


async def test_nats_kill_9_and_restart_on_the_same_store(database_url, own_nats, service_factory) -> None:
    settings = isolated_settings(own_nats.url, database_url, ingest_ack_wait_seconds=ACK_WAIT)
    workload = Workload(ORDERS, seed=12)
    service = service_factory(settings)
    await service.wait_ready()

    async def nats_reported_down() -> bool:
        status, body = await service.get("/readyz")
        return status == 503 and isinstance(body, dict) and body["checks"]["nats"] is False

    async def kill_nats() -> None:
        own_nats.kill()
        await eventually(nats_reported_down, 15, "readyz to report NATS unreachable")
        own_nats.start()  # same port, same store: the streams and the consumer survive

    await hurt_while_publishing(settings, workload, kill_nats)
    await assert_nothing_lost(settings, workload, service, "NATS SIGKILL and restart")


async def test_postgres_stopped_longer_than_the_ack_wait(own_postgres, nats_url, service_factory) -> None:
    settings = isolated_settings(nats_url, own_postgres.url, ingest_ack_wait_seconds=ACK_WAIT)
    workload = Workload(ORDERS, seed=13)
    service = service_factory(settings)
    await service.wait_ready()

    async def stop_postgres() -> None:
        own_postgres.stop()
        await eventually(lambda: _not_ready(service), 15, "readyz to report the outage")
        await asyncio.sleep(ACK_WAIT + 2)
        own_postgres.start()

    await hurt_while_publishing(settings, workload, stop_postgres)
    await assert_nothing_lost(settings, workload, service, "PostgreSQL stopped past the ack wait")


async def test_service_sigstop_past_the_ack_wait(database_url, nats_url, service_factory) -> None:
    settings = isolated_settings(nats_url, database_url, ingest_ack_wait_seconds=ACK_WAIT)
    workload = Workload(ORDERS, seed=14)
    service = service_factory(settings)
    await service.wait_ready()
    assert service.process is not None

    async def pause_the_service() -> None:
        service.process.send_signal(signal.SIGSTOP)
        await asyncio.sleep(ACK_WAIT + 2)  # JetStream redelivers what it had handed out
        service.process.send_signal(signal.SIGCONT)

    await hurt_while_publishing(settings, workload, pause_the_service)
    outcome = await assert_nothing_lost(settings, workload, service, "service SIGSTOP past the ack wait")
    assert outcome.redelivered > 0, "JetStream handed the paused service's messages out again"


async def test_sigterm_mid_batch_finishes_the_batch_and_the_next_start_takes_the_rest(
    database_url, nats_url, service_factory
) -> None:
    settings = isolated_settings(nats_url, database_url, ingest_ack_wait_seconds=ACK_WAIT)
    workload = Workload(ORDERS, seed=15)
    first = service_factory(settings)
    await first.wait_ready()
    successors: list[ServiceProcess] = []

    async def terminate() -> None:
        assert await asyncio.to_thread(first.terminate) == 0
        assert "stopping" in first.log_path.read_text()
        successors.append(service_factory(settings))

    await hurt_while_publishing(settings, workload, terminate, rate=50_000)  # a backlog: batches of 1,000
    outcome = await assert_nothing_lost(settings, workload, successors[0], "service SIGTERM mid-batch")
    assert outcome.redelivered == 0, "the stopping service settled every message it had taken"


async def _not_ready(service: ServiceProcess) -> bool:
    return (await service.get("/readyz"))[0] == 503


def orders(count: int, seed: int = 0) -> list[dict]:
    factory = OrderFactory(seed=seed)
    return [factory.order() for _ in range(count)]


async def all_served(service: ServiceProcess, expected: list[dict]) -> bool:
    for order in expected:
        status, body = await service.get(f"/api/orders/{order['order_uid']}")
        if status != 200 or body != order:
            return False
    return True


async def test_after_kill_9_every_stored_order_is_served_from_the_warmed_cache(
    own_postgres, nats_url, nc, service_factory
) -> None:
    settings = isolated_settings(nats_url, own_postgres.url)
    first = service_factory(settings)
    await first.wait_ready()
    published = orders(150)
    await publish_orders(nc, settings, published)
    await eventually(lambda: all_served(first, published), 30, "all orders stored")

    first.kill()
    second = service_factory(settings)
    ready = await second.wait_ready()
    assert ready["cached_orders"] == len(published)

    own_postgres.stop()  # from here on only the cache can answer
    assert await all_served(second, published)
    status, problem = await second.get("/readyz")
    assert status == 503 and "database" in problem["detail"]

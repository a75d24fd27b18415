"""The service as a real process, against servers this test can stop: crash, outage, reconnect."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.adapters.yoyo_migrator import YoyoMigrator
from app.domain.order_factory import OrderFactory
from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres
from tests.e2e.helpers import eventually, publish_orders
from tests.e2e.service_process import ServiceProcess
from tests.servers import FAST_PG, isolated_settings, postgres_data_dir


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
def service_factory(tmp_path: Path):
    started: list[ServiceProcess] = []

    def make(settings) -> ServiceProcess:
        service = ServiceProcess(settings, tmp_path / f"service-{len(started)}.log")
        started.append(service)
        service.start()
        return service

    yield make
    for service in started:
        service.kill()


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
    own_postgres,
    nats_url,
    nc,
    service_factory,
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


async def test_a_database_outage_delays_orders_but_loses_none(
    own_postgres,
    nats_url,
    nc,
    service_factory,
) -> None:
    settings = isolated_settings(nats_url, own_postgres.url)
    service = service_factory(settings)
    await service.wait_ready()

    own_postgres.stop()
    published = orders(30, seed=1)
    await publish_orders(nc, settings, published)

    async def not_ready() -> bool:
        return (await service.get("/readyz"))[0] == 503

    await eventually(not_ready, 15, "readyz to report the outage")
    own_postgres.start()
    await eventually(lambda: all_served(service, published), 60, "orders stored after the outage")
    info = await nc.jetstream().stream_info(settings.dlq_stream)
    assert info.state.messages == 0  # nothing valid was dead-lettered for a server being down
    await service.wait_ready()


async def test_the_service_reconnects_to_nats_and_resumes(database_url, own_nats, service_factory) -> None:
    import nats

    settings = isolated_settings(own_nats.url, database_url)
    service = service_factory(settings)
    await service.wait_ready()
    own_nats.stop()

    async def nats_reported_down() -> bool:
        status, body = await service.get("/readyz")
        return status == 503 and body["checks"]["nats"] is False

    await eventually(nats_reported_down, 15, "readyz to report NATS unreachable")
    own_nats.start()  # same port, same store: streams and consumer survive
    published = orders(20, seed=2)
    client = await nats.connect(own_nats.url)
    try:
        await publish_orders(client, settings, published)
    finally:
        await client.close()
    await eventually(lambda: all_served(service, published), 60, "orders after NATS restart")
    await service.wait_ready()


async def test_sigterm_shuts_down_cleanly(database_url, nats_url, service_factory) -> None:
    service = service_factory(isolated_settings(nats_url, database_url))
    await service.wait_ready()
    assert service.terminate() == 0
    assert "stopping" in service.log_path.read_text()

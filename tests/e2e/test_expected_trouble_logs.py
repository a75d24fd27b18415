"""Expected trouble is a WARNING line, not an ERROR traceback: PostgreSQL dropping the service's
connections mid-ingest, and NATS going away for a few seconds.

Each test runs the service in this process, causes the trouble, and reads every
record logged meanwhile; nothing is lost either.
"""

import asyncio
import logging
import socket
from pathlib import Path

import asyncpg
import orjson
import pytest

from app.domain.order_factory import OrderFactory
from app.embedded.nats_server_process import NatsServerProcess
from tests.e2e.helpers import eventually, publish_orders, start_client
from tests.e2e.service_process import ServiceProcess
from tests.servers import isolated_settings

ROUNDS, ORDERS_PER_ROUND = 6, 300
JSON = {"Content-Type": "application/json"}


def troubles(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record at ERROR or above, or with a traceback, or naming a known symptom."""
    symptoms = ("Resetting connection", "never retrieved", "cannot switch to state")
    return [
        f"{record.levelname} {record.name}: {record.getMessage()[:300]}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info or any(s in record.getMessage() for s in symptoms)
    ]


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status == 200


async def _stored(client, count: int) -> bool:
    text = await (await client.get("/metrics")).text()
    return f"orders_ingested_total {float(count)}" in text


async def test_dropped_postgres_connections_mid_ingest_are_warnings_and_lose_nothing(
    aiohttp_client, settings, nc, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = await start_client(aiohttp_client, settings)
    await eventually(lambda: _ready(client), 30, "readiness")
    factory = OrderFactory(seed=61)
    for n in range(ROUNDS):
        batch = [factory.order() for _ in range(ORDERS_PER_ROUND)]
        publishing = asyncio.create_task(publish_orders(nc, settings, batch))
        await asyncio.sleep(0.03 * n)  # each round drops them at another moment of the ingest
        admin = await asyncpg.connect(settings.database_url)
        try:
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        await publishing
    await eventually(lambda: _stored(client, ROUNDS * ORDERS_PER_ROUND), 60, "every order stored")
    await client.close()
    assert troubles(caplog) == []
    assert any("storage unavailable" in record.getMessage() for record in caplog.records), "the drops were seen"


async def test_nats_away_for_a_few_seconds_is_one_warning(
    aiohttp_client, database_url, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = NatsServerProcess(tmp_path / "nats")
    server.start()
    try:
        settings = isolated_settings(server.url, database_url)
        client = await start_client(aiohttp_client, settings)
        await eventually(lambda: _ready(client), 30, "readiness")
        caplog.clear()
        caplog.set_level(logging.DEBUG, logger="app.nats")
        server.stop()
        await eventually(lambda: _not_ready(client), 10, "NATS seen away")
        await asyncio.sleep(4)  # several reconnect attempts (one a second)
        server.start()
        await eventually(lambda: _ready(client), 30, "readiness again")
        order = OrderFactory(seed=62).order()
        response = await client.post("/api/orders?wait=5", data=orjson.dumps(order), headers=JSON)
        assert response.status == 201  # published and ingested over the new connection
        await client.close()
    finally:
        server.stop()
    nats_lines = [r for r in caplog.records if r.name == "app.nats"]
    assert len([r for r in nats_lines if r.levelno == logging.WARNING]) == 1, [r.getMessage() for r in nats_lines]
    assert len([r for r in nats_lines if r.levelno == logging.DEBUG]) >= 2, "the repeated attempts, at DEBUG"
    assert troubles(caplog) == []


async def _not_ready(client) -> bool:
    return (await client.get("/readyz")).status == 503


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one process", "two workers"])
async def test_stopping_the_service_with_nats_gone_logs_no_traceback(
    database_url, tmp_path: Path, workers: list[str]
) -> None:
    """SIGTERM while NATS is away (the connection reconnecting): one clean stop."""
    server = NatsServerProcess(tmp_path / "nats")
    server.start()
    service = ServiceProcess(isolated_settings(server.url, database_url), tmp_path / "service.log", workers)
    service.start()
    try:
        await service.wait_ready()
        server.stop()
        await asyncio.sleep(3)  # reconnect attempts under way
    finally:
        exit_code = service.terminate()
        server.stop()
    log = service.log_path.read_text()
    assert exit_code == 0, log[-3000:]
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    assert "stopping" in log or "Shutting down" in log


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one process", "two workers"])
async def test_a_port_in_use_is_one_line_and_exit_1(settings, tmp_path: Path, workers: list[str]) -> None:
    """Before: a traceback, and the process stayed up (its background start kept it) until killed; with
    workers, gunicorn replaced each worker that failed to bind, for ever."""
    service = ServiceProcess(settings, tmp_path / "service.log", workers)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", service.port))
        taken.listen()
        service.start()
        assert service.process is not None
        exit_code = service.process.wait(30)
    log = service.log_path.read_text()
    assert exit_code == 1, log
    assert (
        f"orders serve: cannot listen on 127.0.0.1:{service.port}: " in log and "address already in use" in log.lower()
    )
    assert "Traceback" not in log and " ERROR " not in log, log

"""The service against NATS servers that want credentials and TLS, made by ``nats_options``.

Each test starts its own ``nats-server`` (free port) with users allowed only their
own subjects: the service's user its streams' subjects and the JetStream API, the
producer's only publishing to the ingest subject.
"""

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import nats.errors
import orjson
import pytest
import trustme

from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.domain.order_factory import OrderFactory
from app.embedded.nats_server_process import NatsServerProcess
from app.entrypoints.nats_options import nats_options
from app.entrypoints.settings import Settings
from tests.e2e.helpers import eventually, start_client
from tests.nats_jwt import Operator
from tests.nats_security import (
    PRODUCER_PASSWORD,
    PRODUCER_USER,
    SERVICE_PASSWORD,
    SERVICE_USER,
    configured_nats,
    service_subjects,
    tls_config,
    users_config,
    with_user,
)
from tests.servers import isolated_settings

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def names(database_url: str) -> Settings:
    """The test's own subjects and streams (the server's permissions name them)."""
    return isolated_settings("nats://unset", database_url)


@pytest.fixture
def users_server(tmp_path: Path, names: Settings) -> Iterator[NatsServerProcess]:
    with configured_nats(tmp_path, users_config(names)) as server:
        yield server


def as_user(settings: Settings, url: str, user: str, password: str, **more: object) -> Settings:
    return settings.model_copy(update={"nats_url": with_user(url, user, password), **more})


async def refused(**options: Any) -> BaseException:
    """What connecting with ``options`` raised (one attempt, no reconnects)."""

    async def quiet(error: Exception) -> None:
        """nats-py's default callback logs the refusal as an ERROR with a traceback."""

    try:
        nc = await nats.connect(
            error_cb=quiet, **options, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2
        )
    except Exception as error:
        return error
    await nc.close()
    raise AssertionError(f"connected with {options}")


async def publish_as_producer(settings: Settings, body: bytes, uid: str) -> bool:
    nc = await nats.connect(**nats_options(settings, "producer"))
    try:
        return await JetStreamOrderPublisher(nc, settings.orders_subject).publish(body, uid)
    finally:
        await nc.close()


async def test_the_service_works_with_its_credentials_and_others_are_refused(
    users_server: NatsServerProcess, aiohttp_client, names: Settings
) -> None:
    service = as_user(names, users_server.url, SERVICE_USER, SERVICE_PASSWORD)
    producer = as_user(names, users_server.url, PRODUCER_USER, PRODUCER_PASSWORD)
    client = await start_client(aiohttp_client, service)
    await eventually(lambda: _ready(client), 30, "readiness with credentials")

    factory = OrderFactory(seed=31)
    posted, produced = factory.order(), factory.order()
    response = await client.post("/api/orders?wait=5", data=orjson.dumps(posted), headers=JSON)
    assert response.status == 201, await response.text()  # published by the service's user, then ingested
    assert await publish_as_producer(producer, orjson.dumps(produced), produced["order_uid"])
    await eventually(lambda: _stored(client, produced["order_uid"]), what="the producer's order stored")
    await client.post("/api/orders", data=b'{"order_uid": "bad"}', headers=JSON)  # 422: never published
    nc = await nats.connect(**nats_options(producer, "producer"))
    await nc.jetstream().publish(names.orders_subject, b"{not json")  # the service dead-letters it
    await nc.close()
    await eventually(lambda: _dead_lettered(client), what="a dead letter written by the service's user")

    for anonymous in (users_server.url, with_user(users_server.url, SERVICE_USER, "wrong")):
        error = await refused(servers=[anonymous])
        assert "authorization violation" in str(error).lower(), error


async def test_the_producer_may_only_publish_orders(users_server: NatsServerProcess, names: Settings) -> None:
    producer = as_user(names, users_server.url, PRODUCER_USER, PRODUCER_PASSWORD)
    errors: list[Exception] = []
    options = nats_options(producer, "producer")

    async def record(error: Exception) -> None:
        errors.append(error)

    nc = await nats.connect(**{**options, "error_cb": record})
    try:
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await nc.jetstream().publish(names.dlq_subject, b"forged dead letter", timeout=1)
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await nc.jetstream().stream_info(names.orders_stream)  # the JetStream API is not the producer's
        await nc.publish(names.orders_stored_subject, b'["forged"]', headers={"Orders-Origin": "forger"})
        await asyncio.sleep(0.2)
    finally:
        await nc.close()
    assert any("permissions violation" in str(error).lower() for error in errors), errors
    assert any(names.orders_stored_subject in str(error) for error in errors), "nor may it announce"


async def test_the_service_authenticates_with_a_credentials_file(
    tmp_path: Path, aiohttp_client, names: Settings
) -> None:
    """Decentralized auth (operator, account, user JWT and nkey seed): ``NATS_CREDS``."""
    operator = Operator.new()
    service_creds = tmp_path / "service.creds"
    service_creds.write_text(operator.credentials("order-service", *service_subjects(names)))
    with configured_nats(tmp_path, operator.server_config()) as server:
        service = names.model_copy(update={"nats_url": server.url, "nats_creds": str(service_creds)})
        client = await start_client(aiohttp_client, service)
        await eventually(lambda: _ready(client), 30, "readiness with a credentials file")
        order = OrderFactory(seed=33).order()
        response = await client.post("/api/orders?wait=5", data=orjson.dumps(order), headers=JSON)
        assert response.status == 201, await response.text()
        error = await refused(servers=[server.url])
        assert "authorization violation" in str(error).lower(), error
        await client.close()  # before the server stops


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(tmp_path: Path, ca: trustme.CA) -> Iterator[tuple[NatsServerProcess, Path, Path, Path]]:
    """A server that requires TLS and a client certificate signed by ``ca``; the CA's and a client's PEMs."""
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    cert, key, ca_pem = tmp_path / "server.pem", tmp_path / "server.key", tmp_path / "ca.pem"
    server_cert.cert_chain_pems[0].write_to_path(cert)
    server_cert.private_key_pem.write_to_path(key)
    ca.cert_pem.write_to_path(ca_pem)
    client_cert = ca.issue_cert("order-service@example.test")
    client_pem, client_key = tmp_path / "client.pem", tmp_path / "client.key"
    client_cert.cert_chain_pems[0].write_to_path(client_pem)
    client_cert.private_key_pem.write_to_path(client_key)
    with configured_nats(tmp_path, tls_config(cert, key, ca_pem), scheme="tls") as server:
        yield server, ca_pem, client_pem, client_key


async def test_the_service_connects_over_tls_with_the_ca_and_its_certificate(
    tls_server: tuple[NatsServerProcess, Path, Path, Path], aiohttp_client, names: Settings
) -> None:
    server, ca_pem, client_pem, client_key = tls_server
    service = names.model_copy(
        update={
            "nats_url": server.url,
            "nats_tls_ca": str(ca_pem),
            "nats_tls_cert": str(client_pem),
            "nats_tls_key": str(client_key),
        }
    )
    assert service.nats_url and service.nats_url.startswith("tls://")
    client = await start_client(aiohttp_client, service)
    await eventually(lambda: _ready(client), 30, "readiness over TLS")
    order = OrderFactory(seed=32).order()
    response = await client.post("/api/orders?wait=5", data=orjson.dumps(order), headers=JSON)
    assert response.status == 201, await response.text()

    unknown_ca = await refused(servers=[server.url])  # the system's CAs do not know the test CA
    assert isinstance(unknown_ca, ssl.SSLCertVerificationError), repr(unknown_ca)
    no_client_cert = names.model_copy(update={"nats_url": server.url, "nats_tls_ca": str(ca_pem)})
    options = nats_options(no_client_cert, "no-client-certificate")
    without_certificate = await refused(**{key: value for key, value in options.items() if not key.endswith("_cb")})
    # The server hangs up, or TLS 1.3 first says why: "certificate required", as the timing falls.
    refusal = without_certificate
    assert isinstance(refusal, ConnectionError) or "CERTIFICATE_REQUIRED" in str(refusal), repr(refusal)


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status == 200


async def _stored(client, uid: str) -> bool:
    return (await client.get(f"/api/orders/{uid}")).status == 200


async def _dead_lettered(client) -> bool:
    text = await (await client.get("/metrics")).text()
    return 'orders_dead_lettered_total{reason="invalid"} 1.0' in text

"""The service at the edges of what NATS takes: ingest never depends on the size of what it is sent.

On a nats-server with max_payload 64 KiB (fast) and on the session's 1 MiB one: POST bodies
and invalid messages just under, at and over the limits, then a normal order, which must be
stored; nothing may stay unacknowledged. Also: the server closing the service's connection
for good (an -ERR) does not stop ingest.
"""

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator

import asyncpg
import nats
import nats.errors
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.adapters.nats_message_size import HEADER_LIMIT, header_size, message_size
from app.domain.order_factory import OrderFactory
from app.entrypoints.bootstrap import create_app
from app.entrypoints.container import Container
from app.entrypoints.nats_reopening import Reopening
from app.entrypoints.settings import Settings
from app.entrypoints.web.app import SERVER_OPTIONS
from tests.e2e.helpers import dead_letters, eventually, publish_orders
from tests.servers import AUTHORIZED, isolated_settings


@pytest.fixture(params=["small", "default"])
def served_nats_url(request: pytest.FixtureRequest, small_nats_url: str, nats_url: str) -> str:
    return small_nats_url if request.param == "small" else nats_url


@pytest.fixture
def settings(served_nats_url: str, database_url: str) -> Settings:
    return isolated_settings(served_nats_url, database_url)


@pytest.fixture
async def service(aiohttp_client, settings: Settings) -> AsyncIterator[tuple[TestClient, Container]]:
    """The app in this process, ready, with its container (for its NATS connection)."""
    container = Container(settings=settings)
    server = TestServer(await create_app(container))
    await server.start_server(**SERVER_OPTIONS)
    client: TestClient = await aiohttp_client(server, headers=AUTHORIZED)
    await eventually(lambda: _status(client, "/readyz", 200), 30, "readiness")
    yield client, container


@pytest.fixture
async def nc(served_nats_url: str) -> AsyncIterator[nats.NATS]:
    client = await nats.connect(served_nats_url)
    yield client
    await client.close()


def order_of_size(sample: dict, size: int) -> tuple[str, bytes]:
    """A valid order (a new uid) whose JSON is exactly ``size`` bytes: padded with a field orders ignore."""
    order = dict(sample, order_uid=uuid.uuid4().hex[:24], padding="")
    order["padding"] = "p" * (size - len(orjson.dumps(order)))
    body = orjson.dumps(order)
    assert len(body) == size
    return order["order_uid"], body


async def _status(client: TestClient, path: str, status: int) -> bool:
    return (await client.get(path)).status == status


async def settled(nc: nats.NATS, settings: Settings) -> bool:
    """Every message delivered and acknowledged (or terminated)."""
    info = await nc.jetstream().consumer_info(settings.orders_stream, settings.orders_consumer)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def a_normal_order_is_still_stored(client: TestClient, sample: dict) -> None:
    uid, body = order_of_size(sample, len(orjson.dumps(sample)) + 20)
    response = await client.post("/api/orders", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 202, await response.text()
    await eventually(functools.partial(_status, client, f"/api/orders/{uid}", 200), 20, f"{uid} stored")


async def test_post_takes_orders_up_to_max_payload_with_their_headers(service, nc, settings, sample) -> None:
    client, _ = service
    uid = uuid.uuid4().hex[:24]
    limit = min(nc.max_payload - header_size({"Nats-Msg-Id": uid}), 1024 * 1024)

    for size, status in ((limit - 1, 202), (limit, 202), (limit + 1, 413)):
        uid, body = order_of_size(sample, size)
        response = await client.post("/api/orders", data=body, headers={"Content-Type": "application/json"})
        assert response.status == status, await response.text()
        if status == 413:
            assert response.content_type == "application/problem+json"
            problem = await response.json()
            assert problem["limit"] == limit and f"at most {limit} bytes" in problem["detail"]
        else:
            await eventually(functools.partial(_status, client, f"/api/orders/{uid}", 200), 20, f"{size} bytes")

    await a_normal_order_is_still_stored(client, sample)
    await eventually(functools.partial(settled, nc, settings), 10, "nothing unacknowledged")


async def test_invalid_messages_at_the_limits_are_dead_lettered(service, nc, settings, sample) -> None:
    client, _ = service
    js = nc.jetstream()
    whole = b"{" + b"x" * (nc.max_payload - 1)  # not JSON, as large as the server takes
    await js.publish(settings.orders_subject, whole)
    with_id = {"Nats-Msg-Id": "big-" + uuid.uuid4().hex}
    await js.publish(settings.orders_subject, whole[: nc.max_payload - header_size(with_id)], headers=with_id)
    big_headers = {"X-Big": "h" * (HEADER_LIMIT - 200)}  # a header block JetStream only just takes
    await js.publish(settings.orders_subject, b'{"order_uid": 7}', headers=big_headers)

    letters = await dead_letters(nc, settings, 3)

    for letter, sequence in zip(letters, (1, 2, 3), strict=True):
        assert letter.headers["Orders-Stream-Sequence"] == str(sequence)
        assert letter.headers["Orders-Error-Kind"] == "invalid"
        assert message_size(letter.data, letter.headers) <= nc.max_payload
        assert header_size(letter.headers) <= HEADER_LIMIT
    cut, cut_too, headers_left_out = letters
    assert whole.startswith(cut.data) and "data cut to its first" in cut.headers["Orders-Truncated"]
    assert whole.startswith(cut_too.data) and "data cut to its first" in cut_too.headers["Orders-Truncated"]
    assert headers_left_out.data == b'{"order_uid": 7}' and "X-Big" not in headers_left_out.headers
    assert "1 of the original's headers left out" in headers_left_out.headers["Orders-Truncated"]

    await a_normal_order_is_still_stored(client, sample)
    await eventually(functools.partial(settled, nc, settings), 10, "nothing unacknowledged")


async def test_ingest_goes_on_after_the_server_closed_the_connection(service, nc, settings, sample) -> None:
    """Closed while orders flow: every one is stored once, nothing is left unacknowledged."""
    client, container = service
    orders = [OrderFactory(seed=n).order() for n in range(400)]
    await publish_orders(nc, settings, orders[:200])
    await closed_for_good(container.nats_client(), container.nats_reopening())
    await publish_orders(nc, settings, orders[200:])

    await eventually(lambda: _status(client, "/readyz", 200), 20, "ready again")
    await a_normal_order_is_still_stored(client, sample)
    await eventually(functools.partial(stored_count, settings, len(orders) + 1), 60, "every order stored")
    await eventually(functools.partial(settled, nc, settings), 60, "nothing unacknowledged")


async def closed_for_good(connection: nats.NATS, reopening: Reopening) -> None:
    """Make the server close the connection with an -ERR until nats-py takes it as closed for good
    (when the reset reaches it before the -ERR, it reconnects by itself: tried again then)."""
    for _ in range(10):
        with contextlib.suppress(nats.errors.Error, TimeoutError):  # what the service itself never sends
            await connection.publish("size.over", b"x" * (connection.max_payload - 10), headers={"X": "y" * 100})
            await connection.flush(timeout=2)
        await eventually(lambda: _true(connection.is_connected), 10, "connected again")
        if reopening.reopened:
            return
    raise AssertionError("the server never closed the connection for good")


async def stored_count(settings: Settings, expected: int) -> bool:
    connection = await asyncpg.connect(settings.database_url)
    try:
        count = await connection.fetchval("SELECT count(*) FROM orders")
    finally:
        await connection.close()
    assert count <= expected, "an order stored twice"
    return bool(count == expected)


async def _true(value: bool) -> bool:
    return value

"""The service's NATS connection comes back after the server closed it for good.

A message over ``max_payload`` with its headers (nats-py checks the data alone) makes the
server answer ``-ERR 'Maximum Payload Violation'`` and close the connection; nats-py then
closes the client for good. ``connected_nats`` with a ``Reopening`` connects it again,
and the hooks subscribe again.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import nats
import nats.errors
import pytest

from app.entrypoints.connections import connected_nats
from app.entrypoints.nats_reopening import Reopening
from tests.e2e.helpers import eventually


@pytest.fixture
async def reopening() -> Reopening:
    return Reopening(retry_every=0.1)


@pytest.fixture
async def client(nats_url: str, reopening: Reopening) -> AsyncIterator[nats.NATS]:
    nc = nats.NATS()
    connection = contextlib.asynccontextmanager(connected_nats)(nc, {"servers": [nats_url]}, reopening)
    async with connection:
        yield nc
    assert nc.is_closed


async def violate_max_payload(nc: nats.NATS) -> None:
    """What the server closes a connection for: data within max_payload, headers tipping it over."""
    await nc.publish("size.test", b"x" * (nc.max_payload - 10), headers={"X-Over": "y" * 100})
    await nc.flush(timeout=2)


async def test_the_connection_and_its_subscriptions_come_back(
    client: nats.NATS, reopening: Reopening, nc: nats.NATS
) -> None:
    received: list[bytes] = []

    async def on_message(msg) -> None:
        received.append(msg.data)

    async def subscribe() -> None:
        await client.subscribe("size.echo", cb=on_message)

    await subscribe()
    reopening.after_reopen(subscribe)
    js = client.jetstream()
    await js.add_stream(name="SIZE_REOPEN", subjects=["size.js"])

    for _ in range(10):  # until nats-py read the -ERR before the reset (else it reconnects by itself)
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await violate_max_payload(client)
            await js.publish("size.js", b"while closed", timeout=0.5)  # must not break the later requests
        await eventually(lambda: _true(client.is_connected), 10, "connected again")
        if reopening.reopened:
            break

    await eventually(lambda: _true(reopening.reopened == 1 and client.is_connected), 10, "connected again")
    ack = await js.publish("size.js", b"after", timeout=5)  # requests work on the new connection
    assert ack.stream == "SIZE_REOPEN"
    # Another client publishes: the service's connection is no_echo.
    await eventually(lambda: _published_and_received(nc, received), 5, "the subscription made again")
    await js.delete_stream("SIZE_REOPEN")


async def test_a_close_of_our_own_is_not_undone(nats_url: str) -> None:
    reopening = Reopening()
    nc = nats.NATS()
    connection = contextlib.asynccontextmanager(connected_nats)(nc, {"servers": [nats_url]}, reopening)
    async with connection:
        assert nc.is_connected
    await asyncio.sleep(0.3)
    assert nc.is_closed and reopening.reopened == 0


async def _true(value: bool) -> bool:
    return value


async def _published_and_received(nc: nats.NATS, received: list[bytes]) -> bool:
    await nc.publish("size.echo", b"ping")
    await asyncio.sleep(0.05)
    return b"ping" in received

"""Small async helpers shared by the end-to-end tests."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import nats
import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from nats.js.api import ConsumerConfig, DeliverPolicy

from app.entrypoints.bootstrap import create_app
from app.entrypoints.container import Container
from app.entrypoints.settings import Settings
from app.entrypoints.web.app import SERVER_OPTIONS
from tests.servers import AUTHORIZED


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not hold within {timeout}s")


async def dead_letters(nc: nats.NATS, settings: Settings, expected: int, timeout: float = 20) -> list:
    """The messages in the DLQ stream, waiting until there are ``expected`` of them."""
    js = nc.jetstream()

    async def enough() -> bool:
        try:
            info = await js.stream_info(settings.dlq_stream)
        except nats.js.errors.NotFoundError:
            return False
        return info.state.messages >= expected

    await eventually(enough, timeout, f"{expected} dead letters")
    sub = await js.pull_subscribe(
        settings.dlq_subject,
        stream=settings.dlq_stream,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    messages = await sub.fetch(expected, timeout=5)
    await sub.unsubscribe()
    return messages


async def publish(nc: nats.NATS, settings: Settings, body: bytes, msg_id: str | None = None) -> None:
    headers = {"Nats-Msg-Id": msg_id} if msg_id else None
    await nc.jetstream().publish(settings.orders_subject, body, headers=headers)


async def publish_orders(nc: nats.NATS, settings: Settings, orders: list[dict]) -> None:
    """Publish each order as its JSON, with its uid as the message id."""
    for order in orders:
        await publish(nc, settings, orjson.dumps(order), order["order_uid"])


async def start_client(aiohttp_client: Any, settings: Settings) -> TestClient[web.Request, web.Application]:
    """The app in this process behind a test server run as ``orders serve`` runs it; the client
    sends the API token of ``isolated_settings``."""
    server = TestServer(await create_app(Container(settings=settings)))
    await server.start_server(**SERVER_OPTIONS)  # TestServer(**kwargs) would drop them
    client: TestClient[web.Request, web.Application] = await aiohttp_client(server, headers=AUTHORIZED)
    return client

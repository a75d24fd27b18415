"""Two ``orders serve`` processes on a three-node NATS cluster (R3 streams) and one PostgreSQL.

They share the work of one durable consumer, each stores an order once, and
each knows every order the other stored (its announcements): both serve every
order, and a ``?wait`` on one is answered as soon as the other stores the
order. Then the node leading the stream is killed mid-ingest: nothing is lost
or stored twice, and ingest goes on through the two nodes left.
"""

import asyncio
import re
import time
from pathlib import Path

import aiohttp
import asyncpg
import nats
import orjson
import pytest
from nats.aio.client import Client as NATS

from app.domain.order_factory import OrderFactory
from app.embedded.nats_cluster import NatsCluster
from app.entrypoints.connections import server_list
from app.entrypoints.settings import Settings
from tests.e2e.helpers import eventually
from tests.e2e.service_process import ServiceProcess
from tests.servers import AUTHORIZED, isolated_settings

FIRST, SECOND = 20_000, 10_000
pytestmark = pytest.mark.timeout(240)


def orders(count: int, seed: int) -> list[dict]:
    factory = OrderFactory(seed=seed)
    return [factory.order() for _ in range(count)]


async def publish_until_acked(nc: NATS, settings: Settings, batch: list[dict], in_flight: int = 256) -> None:
    """Each order with its uid as the message id, retried until the stream acknowledges it
    (a retry the stream already has is dropped as a duplicate)."""
    js, slots = nc.jetstream(), asyncio.Semaphore(in_flight)

    async def one(order: dict) -> None:
        body, headers = orjson.dumps(order), {"Nats-Msg-Id": order["order_uid"]}
        async with slots:
            for _ in range(120):
                try:
                    await js.publish(settings.orders_subject, body, headers=headers, timeout=2)
                    return
                except (nats.errors.Error, TimeoutError):
                    await asyncio.sleep(0.25)  # no leader yet, or this client is reconnecting
            raise AssertionError(f"{order['order_uid']} was never acknowledged")

    await asyncio.gather(*(one(order) for order in batch))


async def metric(service: ServiceProcess, name: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(service.base_url + "/metrics") as response:
        found = re.search(rf"^{name} (\S+)$", await response.text(), re.MULTILINE)
    assert found, name
    return float(found.group(1))


async def stored_uids(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return [row[0] for row in await conn.fetch("SELECT order_uid FROM orders")]
    finally:
        await conn.close()


async def stored_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM orders")
        return count
    finally:
        await conn.close()


async def serves_exactly(service: ServiceProcess, expected: list[dict]) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as http:

        async def one(order: dict) -> None:
            async with http.get(f"{service.base_url}/api/orders/{order['order_uid']}") as response:
                assert response.status == 200, order["order_uid"]
                assert orjson.loads(await response.read()) == order

        await asyncio.gather(*(one(order) for order in expected))


async def post_and_time(service: ServiceProcess, order: dict) -> tuple[int, float]:
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{service.base_url}/api/orders?wait=5",
            data=orjson.dumps(order),
            headers={"Content-Type": "application/json", **AUTHORIZED},
        ) as response,
    ):
        return response.status, time.perf_counter() - started


async def stream_leader(nc: NATS, settings: Settings) -> str:
    cluster = (await nc.jetstream().stream_info(settings.orders_stream)).cluster
    assert cluster is not None and cluster.leader, "a replicated stream has a leader"
    return cluster.leader


@pytest.fixture
async def cluster_nc(nats_cluster: NatsCluster):
    nc = NATS()
    await nc.connect(servers=server_list(nats_cluster.url), max_reconnect_attempts=-1, reconnect_time_wait=1)
    yield nc
    await nc.close()


async def test_two_instances_share_the_work_know_every_order_and_outlive_the_stream_leader(
    nats_cluster: NatsCluster, cluster_nc: NATS, database_url: str, tmp_path: Path
) -> None:
    settings = isolated_settings(nats_cluster.url, database_url, stream_replicas=3, ingest_ack_wait_seconds=5)
    a, b = (ServiceProcess(settings, tmp_path / f"{name}.log") for name in "ab")
    for service in (a, b):
        service.start()
    try:
        await asyncio.gather(a.wait_ready(), b.wait_ready())
        first = orders(FIRST, seed=1)
        await publish_until_acked(cluster_nc, settings, first)
        await eventually(lambda: _is(stored_count(database_url), FIRST), 120, f"{FIRST} orders stored")

        ingested = [await metric(service, "orders_ingested_total") for service in (a, b)]
        assert sum(ingested) == FIRST, "each order stored once, by one of them"
        assert min(ingested) > 0, f"both did part of the work: {ingested}"
        await eventually(lambda: _learned(a, b, ingested), 10, "each learned what the other stored")
        await asyncio.gather(serves_exactly(a, first), serves_exactly(b, first))
        assert await metric(a, "orders_cache_misses_total") == 0 == await metric(b, "orders_cache_misses_total")

        waited = await _wait_on_a_for_orders_b_ingests(a, b)

        leader = await stream_leader(cluster_nc, settings)
        second = orders(SECOND, seed=2)
        publishing = asyncio.create_task(publish_until_acked(cluster_nc, settings, second))
        total = FIRST + len(waited)
        await eventually(lambda: _is_at_least(stored_count(database_url), total + 1000), 60, "ingest under way")
        nats_cluster.kill(leader)
        await publishing
        total += SECOND
        await eventually(lambda: _is(stored_count(database_url), total), 120, f"{total} orders stored")

        published = {o["order_uid"] for o in first + waited + second}
        uids = await stored_uids(database_url)
        assert len(uids) == len(published) and set(uids) == published, "nothing lost"
        ingested = [await metric(service, "orders_ingested_total") for service in (a, b)]
        assert sum(ingested) == total, f"nothing stored twice: {ingested}"
        assert await stream_leader(cluster_nc, settings) != leader
        await asyncio.gather(serves_exactly(a, second[-500:]), serves_exactly(b, second[-500:]))
    finally:
        for service in (a, b):
            service.kill()


async def _wait_on_a_for_orders_b_ingests(a: ServiceProcess, b: ServiceProcess) -> list[dict]:
    """``POST ?wait=5`` to A, ten orders at a time, until B has ingested some of them; every
    answer is 201 well under a second. The orders posted."""
    posted: list[dict] = []
    for seed in range(100, 120):
        before = await metric(b, "orders_ingested_total")
        batch = orders(10, seed=seed)
        posted += batch
        answers = await asyncio.gather(*(post_and_time(a, order) for order in batch))
        assert [status for status, _ in answers] == [201] * 10
        assert max(seconds for _, seconds in answers) < 1.0, answers
        if await metric(b, "orders_ingested_total") > before:
            return posted
    raise AssertionError("B never ingested an order posted to A")


async def _learned(a: ServiceProcess, b: ServiceProcess, ingested: list[float]) -> bool:
    return [await metric(a, "orders_learned_total"), await metric(b, "orders_learned_total")] == ingested[::-1]


async def _is(count, expected: int) -> bool:
    return await count == expected


async def _is_at_least(count, expected: int) -> bool:
    return await count >= expected

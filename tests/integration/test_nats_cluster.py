"""The service against a three-node NATS cluster: a server list, replicated streams, an operator's limits."""

import orjson
import pytest
from aiohttp.test_utils import TestClient
from nats.aio.client import Client as NATS
from nats.js.api import DiscardPolicy, StorageType, StreamConfig

from app.domain.order_factory import OrderFactory
from app.embedded.free_port import free_tcp_port
from app.embedded.nats_cluster import NatsCluster
from app.entrypoints.connections import server_list
from app.entrypoints.settings import Settings
from tests.e2e.helpers import eventually, publish, start_client
from tests.servers import isolated_settings

MIB = 2**20


@pytest.fixture
async def cluster_nc(nats_cluster: NatsCluster):
    nc = NATS()
    await nc.connect(servers=server_list(nats_cluster.url))
    yield nc
    await nc.close()


async def ready_client(aiohttp_client, settings: Settings) -> TestClient:
    client = await start_client(aiohttp_client, settings)

    async def ready() -> bool:
        return (await client.get("/readyz")).status == 200

    await eventually(ready, 30, "readiness")
    return client


async def served(client: TestClient, order: dict) -> bool:
    response = await client.get(f"/api/orders/{order['order_uid']}")
    return response.status == 200 and orjson.loads(await response.read()) == order


async def all_served(client: TestClient, orders: list[dict]) -> bool:
    return all([await served(client, order) for order in orders])


async def test_streams_an_operator_made_with_three_replicas_and_limits_keep_them(
    nats_cluster: NatsCluster, cluster_nc: NATS, database_url: str, aiohttp_client
) -> None:
    settings = isolated_settings(nats_cluster.url, database_url)  # replicas 1, the default limits
    js = cluster_nc.jetstream()
    made = {}
    for name, subject, max_bytes in (
        (settings.orders_stream, settings.orders_subject, 64 * MIB),
        (settings.dlq_stream, settings.dlq_subject, 8 * MIB),
    ):
        made[name] = StreamConfig(
            name=name,
            subjects=[subject],
            storage=StorageType.FILE,
            num_replicas=3,
            max_age=3600,
            max_bytes=max_bytes,
            max_msgs=100_000,
            discard=DiscardPolicy.OLD,
            duplicate_window=300,
        )
        await js.add_stream(made[name])

    client = await ready_client(aiohttp_client, settings)
    order = OrderFactory(seed=5).order()
    await publish(cluster_nc, settings, orjson.dumps(order), order["order_uid"])
    await eventually(lambda: served(client, order), 20, "the order ingested through the cluster")

    for name, config in made.items():
        info = await js.stream_info(name)
        kept = info.config
        assert (kept.num_replicas, kept.max_age, kept.max_bytes, kept.max_msgs) == (3, 3600, config.max_bytes, 100_000)
        assert (kept.discard, kept.duplicate_window) == (DiscardPolicy.OLD, 300)
        assert info.cluster is not None and len(info.cluster.replicas or []) == 2


async def test_the_service_makes_replicated_streams_with_its_limits_through_any_listed_server(
    nats_cluster: NatsCluster, cluster_nc: NATS, database_url: str, aiohttp_client
) -> None:
    nobody = f"nats://127.0.0.1:{free_tcp_port()}"  # listed first, and nobody answers there
    settings = isolated_settings(
        f"{nobody}, {nats_cluster.url}",
        database_url,
        stream_replicas=3,
        orders_stream_max_bytes=64 * MIB,
        dlq_stream_max_age_seconds=86_400,
        dlq_stream_max_bytes=32 * MIB,
    )
    client = await ready_client(aiohttp_client, settings)
    orders = [OrderFactory(seed=n).order() for n in range(1, 4)]
    for order in orders:
        await publish(cluster_nc, settings, orjson.dumps(order), order["order_uid"])
    await eventually(lambda: all_served(client, orders), 20, "the orders ingested")

    js = cluster_nc.jetstream()
    ingest = (await js.stream_info(settings.orders_stream)).config
    assert (ingest.num_replicas, ingest.max_bytes, ingest.max_age) == (3, 64 * MIB, 7 * 86_400)
    assert ingest.discard == DiscardPolicy.NEW
    dead = (await js.stream_info(settings.dlq_stream)).config
    assert (dead.num_replicas, dead.max_age, dead.max_bytes) == (3, 86_400, 32 * MIB)
    consumer = await js.consumer_info(settings.orders_stream, settings.orders_consumer)
    assert consumer.cluster is not None and len(consumer.cluster.replicas or []) == 2

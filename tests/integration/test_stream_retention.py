"""Retention against a real nats-server: size limits set, reported as usage, and never a start refused for them."""

import dataclasses

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from prometheus_client.parser import text_string_to_metric_families

from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.adapters.jetstream_topology import JetStreamNames, StreamLimits, ensure_topology, streams_usage
from app.adapters.memory_order_cache import MemoryOrderCache
from app.adapters.prometheus_metrics import PrometheusMetrics
from app.entrypoints.container import Container
from app.entrypoints.settings import Settings
from app.ports.order_publisher import PublishFailed
from tests.servers import TEST_STREAM_BYTES, isolated_settings


@pytest.fixture
def names(nats_url: str) -> JetStreamNames:
    names: JetStreamNames = Container(settings=isolated_settings(nats_url, "postgresql://unused")).names()
    return names


@pytest.fixture
def js(nc: nats.NATS) -> JetStreamContext:
    return nc.jetstream()


def test_both_streams_have_a_size_limit_by_default() -> None:
    defaults = Settings(_env_file=None)
    assert defaults.orders_stream_max_bytes == 4 * 2**30 and defaults.dlq_stream_max_bytes == 2**30
    assert defaults.orders_stream_max_age_seconds and defaults.dlq_stream_max_age_seconds


async def test_usage_is_what_each_stream_holds_against_its_limit(js: JetStreamContext, names: JetStreamNames) -> None:
    await ensure_topology(js, names)
    for n in range(10):
        await js.publish(names.subject, b"x" * 1000, headers={"Nats-Msg-Id": f"m{n}"})

    orders, dead_letters = await streams_usage(js, names)

    assert (orders.stream, orders.max_bytes) == (names.stream, TEST_STREAM_BYTES)
    assert 10_000 < orders.bytes == (await js.stream_info(names.stream)).state.bytes
    assert (dead_letters.stream, dead_letters.bytes, dead_letters.max_bytes) == (
        names.dlq_stream,
        0,
        TEST_STREAM_BYTES // 4,
    )
    metrics = PrometheusMetrics(MemoryOrderCache(10))
    metrics.set_stream_usage([orders, dead_letters])
    exported = {
        (sample.name, sample.labels.get("stream")): sample.value
        for family in text_string_to_metric_families(metrics.exposition()[0].decode())
        for sample in family.samples
    }
    assert exported["orders_stream_usage_ratio", names.stream] == orders.bytes / TEST_STREAM_BYTES
    assert exported["orders_stream_usage_ratio", names.dlq_stream] == 0
    assert exported["orders_stream_max_bytes", names.dlq_stream] == TEST_STREAM_BYTES // 4
    assert exported["orders_stream_bytes", names.stream] == orders.bytes


async def test_a_limit_the_servers_cannot_reserve_leaves_an_existing_stream_as_it_was(
    js: JetStreamContext, names: JetStreamNames
) -> None:
    await js.add_stream(StreamConfig(name=names.stream, subjects=[names.subject], storage=StorageType.FILE))
    too_big = dataclasses.replace(names, limits=StreamLimits(max_age=600, max_bytes=2**50))  # a pebibyte

    await ensure_topology(js, too_big)

    config = (await js.stream_info(names.stream)).config
    assert (config.max_bytes, config.max_age) == (-1, 600), "no size limit, the rest as the service needs"


async def test_a_full_stream_refuses_publishes_and_keeps_what_it_holds(
    nc: nats.NATS, js: JetStreamContext, names: JetStreamNames
) -> None:
    small = dataclasses.replace(names, limits=StreamLimits(max_age=600, max_bytes=20_000))
    await ensure_topology(js, small)
    publisher = JetStreamOrderPublisher(nc, subject=names.subject, timeout=2)

    with pytest.raises(PublishFailed):
        for n in range(100):  # 1 KB each: the limit is reached after about 20
            await publisher.publish(b"x" * 1000, f"m{n}")

    held = (await js.stream_info(names.stream)).state
    assert 10 <= held.messages < 20 and held.first_seq == 1, "nothing dropped to make room"
    orders = (await streams_usage(js, small))[0]
    assert orders.bytes / orders.max_bytes > 0.8, "the alert's threshold was passed before"


async def test_a_new_stream_whose_limit_the_servers_cannot_reserve_is_made_without_one(
    js: JetStreamContext, names: JetStreamNames
) -> None:
    too_big = dataclasses.replace(names, limits=StreamLimits(max_age=600, max_bytes=2**50))

    await ensure_topology(js, too_big)

    config = (await js.stream_info(names.stream)).config
    assert (config.max_bytes, config.max_age) == (-1, 600)
    assert (await js.stream_info(names.dlq_stream)).config.max_bytes == names.dlq_limits.max_bytes

"""One order followed from ``POST /api/orders`` to its commit in one trace (the SDK's in-memory exporter).

The real service over real NATS and PostgreSQL, its tracer provider replaced by
one that keeps the spans in memory: the server span, the publish (whose context
travels in the message's ``traceparent``), the batch's consumer span (a child,
as the batch holds that trace alone, and linked to the message) and the asyncpg
calls under it, down to the ``COMMIT``.
"""

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import asyncpg
import nats
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from dependency_injector import providers
from nats.js.api import ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link

from app.adapters.jetstream_topology import JetStreamNames, ensure_topology
from app.domain.order_factory import OrderFactory
from app.entrypoints.bootstrap import create_app
from app.entrypoints.container import Container
from app.entrypoints.settings import Settings
from app.entrypoints.tracing import Tracing, traced_publisher
from app.entrypoints.web.app import SERVER_OPTIONS
from tests.e2e.helpers import eventually
from tests.servers import AUTHORIZED

JSON = {"Content-Type": "application/json", **AUTHORIZED}
Client = TestClient[web.Request, web.Application]


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.clear()


@pytest.fixture
async def traced_client(aiohttp_client, settings: Settings, exporter: InMemorySpanExporter) -> AsyncIterator[Client]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    container = Container(settings=settings)
    container.tracer_provider.override(providers.Object(provider))
    server = TestServer(await create_app(container))
    await server.start_server(**SERVER_OPTIONS)
    client: Client = await aiohttp_client(server)
    await eventually(lambda: _ready(client), 30, "readiness")
    yield client
    await client.close()  # the service stops: asyncpg is uninstrumented again
    assert not hasattr(asyncpg.connection.Connection.execute, "__wrapped__")


async def _ready(client: Client) -> bool:
    return (await client.get("/readyz")).status == 200


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def attrs(item: ReadableSpan | Link) -> Mapping[str, Any]:
    return item.attributes or {}


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_one_order_is_one_trace_from_the_post_to_the_commit(
    traced_client: Client, exporter: InMemorySpanExporter, settings: Settings, nats_url: str
) -> None:
    order = OrderFactory(seed=41).order()
    response = await traced_client.post("/api/orders?wait=5", data=orjson.dumps(order), headers=JSON)
    assert response.status == 201

    spans = exporter.get_finished_spans()
    (post,) = by_name(spans, "POST /api/orders")
    (send,) = by_name(spans, f"send {settings.orders_subject}")
    (batch,) = by_name(spans, f"process {settings.orders_stream}")
    trace_id = post.context.trace_id
    assert post.kind is trace.SpanKind.SERVER and attrs(post)["http.response.status_code"] == 201
    assert send.kind is trace.SpanKind.PRODUCER and parent_of(send) == post.context.span_id
    assert batch.kind is trace.SpanKind.CONSUMER and parent_of(batch) == send.context.span_id
    assert batch.context.trace_id == send.context.trace_id == trace_id
    assert [(link.context.span_id, attrs(link)["order_uid"]) for link in batch.links] == [
        (send.context.span_id, order["order_uid"])
    ]
    assert attrs(batch)["orders.stored"] == 1

    database = [span for span in spans if attrs(span).get("db.system") == "postgresql"]
    under_batch = [span for span in database if parent_of(span) == batch.context.span_id]
    statements = [str(attrs(span).get("db.statement", span.name)) for span in under_batch]
    assert any(statement.startswith("COMMIT") for statement in statements), statements
    assert all(span.context.trace_id == trace_id for span in under_batch)

    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            settings.orders_subject,
            stream=settings.orders_stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        (message,) = await sub.fetch(1, timeout=5)
    finally:
        await nc.close()
    assert message.headers is not None and message.headers["Nats-Msg-Id"] == order["order_uid"]
    traceparent = message.headers["traceparent"]
    assert traceparent.startswith(f"00-{trace_id:032x}-{send.context.span_id:016x}-")  # then the flags


async def test_a_batch_of_several_traces_links_each_stored_message(
    aiohttp_client, settings: Settings, exporter: InMemorySpanExporter, nats_url: str
) -> None:
    """Published before the service starts, so one fetch takes them all: the batch is a trace of its
    own, linked to each message's context (a bad message is dead-lettered, not linked)."""
    nc = await nats.connect(nats_url)
    names = JetStreamNames(settings.orders_stream, settings.orders_subject, settings.orders_consumer,
                           settings.dlq_stream, settings.dlq_subject)  # fmt: skip
    await ensure_topology(nc.jetstream(), names)
    factory, producers = OrderFactory(seed=42), {}
    for n in range(3):
        order = factory.order()
        trace_id, span_id = 0xABC0 + n, 0xDEF0 + n
        headers = {"traceparent": f"00-{trace_id:032x}-{span_id:016x}-01", "Nats-Msg-Id": order["order_uid"]}
        await nc.jetstream().publish(settings.orders_subject, orjson.dumps(order), headers=headers)
        producers[order["order_uid"]] = (trace_id, span_id)
    bad = {"traceparent": f"00-{0xBAD:032x}-{0xBAD:016x}-01"}
    await nc.jetstream().publish(settings.orders_subject, b'{"order_uid": "not-an-order"}', headers=bad)
    await nc.close()

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    container = Container(settings=settings)
    container.tracer_provider.override(providers.Object(provider))
    server = TestServer(await create_app(container))
    await server.start_server(**SERVER_OPTIONS)
    client: Client = await aiohttp_client(server)

    async def processed() -> bool:
        return bool(by_name(exporter.get_finished_spans(), f"process {settings.orders_stream}"))

    await eventually(processed, 30, "the batch traced")
    (batch,) = by_name(exporter.get_finished_spans(), f"process {settings.orders_stream}")
    assert batch.parent is None
    assert batch.context.trace_id not in {trace_id for trace_id, _ in producers.values()}
    linked = {attrs(link)["order_uid"]: (link.context.trace_id, link.context.span_id) for link in batch.links}
    assert linked == producers
    assert attrs(batch)["messaging.batch.message_count"] == 4
    assert attrs(batch)["orders.stored"] == 3 and attrs(batch)["orders.dead_lettered"] == 1
    await client.close()


def test_with_tracing_off_nothing_is_wrapped(settings: Settings) -> None:
    container = Container(settings=settings)
    assert settings.tracing is False and container.tracer_provider() is None
    tracing = container.traces()
    assert tracing.enabled is False
    publisher = container.publisher()
    assert traced_publisher(publisher, tracing, "x") is publisher

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    assert Tracing(None).server_handler(handler, "/api/orders") is handler
    on = settings.model_copy(update={"otel_exporter_otlp_endpoint": "http://collector:4318"})
    assert on.tracing is True
    assert on.model_copy(update={"otel_sdk_disabled": True}).tracing is False
    assert on.model_copy(update={"otel_traces_exporter": "none"}).tracing is False

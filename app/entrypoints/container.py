"""The composition root: one dependency-injector container wires the ports to adapters.

Everything is built when the app is built, with connections that are not open
yet; ``bootstrap.py`` opens them at startup (``await container.init_resources()``)
and closes them at shutdown. Tests override any provider with a fake
(``container.repository.override(providers.Object(fake))``).
"""

from dependency_injector import containers, providers
from nats.aio.client import Client as NATS

from app.adapters.jetstream_dead_letter_archive import JetStreamDeadLetterArchive
from app.adapters.jetstream_dead_letter_sink import JetStreamDeadLetterSink
from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.adapters.jetstream_order_source import JetStreamOrderSource
from app.adapters.jetstream_topology import JetStreamNames, JetStreamTopology, StreamLimits
from app.adapters.memory_order_cache import MemoryOrderCache
from app.adapters.memory_order_feed import MemoryOrderFeed
from app.adapters.nats_order_announcements import NatsOrderAnnouncements, NatsOrderAnnouncer, Peers
from app.adapters.pg_hosts import READ_WRITE, with_session_attrs
from app.adapters.pg_order_repository import PgOrderRepository
from app.adapters.prometheus_metrics import PrometheusMetrics
from app.adapters.yoyo_migrator import YoyoMigrator
from app.entrypoints import asyncapi_document, connections, read_replica, tracing
from app.entrypoints.ingest_tracing import BatchTracing
from app.entrypoints.instance_id import new_instance_id
from app.entrypoints.nats_options import nats_options
from app.entrypoints.nats_reopening import Reopening
from app.entrypoints.pg_session import pg_connect_options
from app.entrypoints.settings import Settings
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.app import WebParts
from app.service_layer.dead_letter_tools import DeadLetterTools
from app.service_layer.ingest_loop import IngestLoop
from app.service_layer.ingest_orders import IngestOrders
from app.service_layer.messagebus import HandlerPorts, MessageBus
from app.service_layer.order_arrivals import OrderArrivals
from app.service_layer.order_lookup import ListOrders, OrderLookup, WarmUpCache
from app.service_layer.service import OrderService
from app.service_layer.service_stats import ServiceStats
from app.service_layer.stored_elsewhere import StoredElsewhere
from app.service_layer.submit_order import SubmitOrder


class Container(containers.DeclarativeContainer):
    """Providers for everything ``orders serve`` runs."""

    settings = providers.Dependency(instance_of=Settings)
    instance_id = providers.Singleton(new_instance_id)  # made in the process that serves (each worker)

    db_pool = providers.Singleton(
        connections.asyncpg_pool,
        dsn=providers.Callable(with_session_attrs, settings.provided.database_url, READ_WRITE),
        max_size=settings.provided.db_pool_size,
        command_timeout=settings.provided.db_command_timeout,
        connect_options=providers.Callable(pg_connect_options, settings=settings),
    )
    nats_client = providers.Singleton(NATS)
    jetstream = nats_client.provided.jetstream.call()
    opened_pool = providers.Resource(connections.opened_pool, pool=db_pool)
    replica_pool = providers.Singleton(
        read_replica.replica_pool,
        dsn=settings.provided.database_read_url,
        max_size=settings.provided.db_pool_size,
        command_timeout=settings.provided.db_command_timeout,
        connect_options=providers.Callable(pg_connect_options, settings=settings),
    )
    opened_replica_pool = providers.Resource(read_replica.opened_replica_pool, pool=replica_pool)
    # Traces (OTEL_*): no provider, so nothing traced, unless an OTLP endpoint is set.
    tracer_provider = providers.Singleton(tracing.tracer_provider, settings)
    traces = providers.Singleton(tracing.Tracing, tracer_provider)
    instrumented = providers.Resource(tracing.instrumented, tracer_provider)
    nats_connect_options = providers.Callable(nats_options, settings=settings, name="order-service")
    nats_reopening = providers.Singleton(Reopening)
    connected_nats = providers.Resource(
        connections.connected_nats, nc=nats_client, options=nats_connect_options, reopening=nats_reopening
    )

    names = providers.Singleton(
        JetStreamNames,
        stream=settings.provided.orders_stream,
        subject=settings.provided.orders_subject,
        consumer=settings.provided.orders_consumer,
        dlq_stream=settings.provided.dlq_stream,
        dlq_subject=settings.provided.dlq_subject,
        duplicate_window=settings.provided.duplicate_window_seconds,
        ack_wait=settings.provided.ingest_ack_wait_seconds,
        replicas=settings.provided.stream_replicas,
        limits=providers.Factory(
            StreamLimits,
            max_age=settings.provided.orders_stream_max_age_seconds,
            max_bytes=settings.provided.orders_stream_max_bytes,
        ),
        dlq_limits=providers.Factory(
            StreamLimits,
            max_age=settings.provided.dlq_stream_max_age_seconds,
            max_bytes=settings.provided.dlq_stream_max_bytes,
        ),
    )
    migrator = providers.Singleton(YoyoMigrator, database_url=settings.provided.database_url)
    topology = providers.Singleton(JetStreamTopology, js=jetstream, names=names)
    cache = providers.Singleton(MemoryOrderCache, max_orders=settings.provided.cache_max_orders)
    # The same bounded LRU of bytes by order_uid, holding each order's rendered page.
    page_cache = providers.Singleton(MemoryOrderCache, max_orders=settings.provided.page_cache_max_pages)
    access = providers.Singleton(
        ApiAccess.from_settings,
        tokens=settings.provided.api_tokens,
        tokens_file=settings.provided.api_tokens_file,
        protect_reads=settings.provided.api_protect_reads,
    )
    feed = providers.Singleton(MemoryOrderFeed)
    metrics = providers.Singleton(PrometheusMetrics, cache=cache, instance=instance_id, page_cache=page_cache)
    repository = providers.Singleton(
        PgOrderRepository, pool=db_pool, lookup_timeout=settings.provided.db_command_timeout
    )
    reads = providers.Singleton(
        read_replica.reading_repository,
        primary=repository,
        pool=replica_pool,
        lookup_timeout=settings.provided.db_command_timeout,
    )
    dead_letters = providers.Singleton(
        JetStreamDeadLetterSink,
        nc=nats_client,
        stream=settings.provided.dlq_stream,
        subject=settings.provided.dlq_subject,
        source_stream=settings.provided.orders_stream,
    )
    publisher = providers.Singleton(
        JetStreamOrderPublisher,
        nc=nats_client,
        subject=settings.provided.orders_subject,
        context_headers=providers.Callable(tracing.trace_headers, traces),
    )
    traced_publisher = providers.Singleton(
        tracing.traced_publisher, publisher, traces, settings.provided.orders_subject
    )
    dead_letter_archive = providers.Singleton(
        JetStreamDeadLetterArchive,
        js=jetstream,
        stream=settings.provided.dlq_stream,
        ingest_subject=settings.provided.orders_subject,
        nc=nats_client,
    )
    source = providers.Singleton(
        JetStreamOrderSource,
        nc=nats_client,
        stream=settings.provided.orders_stream,
        consumer=settings.provided.orders_consumer,
    )
    batch_tracer = providers.Singleton(BatchTracing, traces, settings.provided.orders_stream)

    peers = providers.Singleton(Peers)
    announcer = providers.Singleton(
        NatsOrderAnnouncer,
        nc=nats_client,
        subject=settings.provided.orders_stored_subject,
        origin=instance_id,
        peers=peers,
    )
    announcements = providers.Singleton(
        NatsOrderAnnouncements,
        nc=nats_client,
        subject=settings.provided.orders_stored_subject,
        origin=instance_id,
        peers=peers,
    )

    arrivals = providers.Singleton(OrderArrivals)
    dead_letter_tools = providers.Singleton(DeadLetterTools, archive=dead_letter_archive)
    lookup = providers.Singleton(OrderLookup, cache=cache, repository=reads)
    list_orders = providers.Singleton(ListOrders, repository=reads)
    submit = providers.Singleton(SubmitOrder, publisher=traced_publisher, lookup=lookup, arrivals=arrivals)
    warm_up = providers.Singleton(
        WarmUpCache,
        cache=cache,
        repository=reads,
        limit=settings.provided.cache_max_orders,
    )
    ingest = providers.Singleton(
        IngestOrders,
        repository=repository,
        dead_letters=dead_letters,
        max_deliveries=settings.provided.ingest_max_deliveries,
    )
    handler_ports = providers.Factory(
        HandlerPorts, cache=cache, feed=feed, arrivals=arrivals, announcer=announcer, metrics=metrics
    )
    bus = providers.Singleton(MessageBus, handler_ports)
    stored_elsewhere = providers.Singleton(
        StoredElsewhere, repository=repository, metrics=metrics, handle=bus.provided.handle
    )
    ingest_loop = providers.Singleton(
        IngestLoop,
        source=source,
        ingest=ingest,
        repository=repository,
        tracer=batch_tracer,
        handle=bus.provided.handle,
        batch_size=settings.provided.ingest_batch_size,
        fetch_timeout=settings.provided.ingest_fetch_seconds,
        concurrent_writes=settings.provided.ingest_concurrent_writes,
    )
    stats = providers.Singleton(
        ServiceStats,
        repository=repository,
        dead_letters=dead_letters,
        source=source,
        metrics=metrics,
        topology=topology,
    )
    service = providers.Singleton(
        OrderService,
        migrator=migrator,
        topology=topology,
        warm_up=warm_up,
        source=source,
        ingest_loop=ingest_loop,
        repository=repository,
        stats=stats,
        announcer=announcer,
        announcements=announcements,
        stored_elsewhere=stored_elsewhere,
        after_reopen=nats_reopening.provided.after_reopen,
    )
    web_parts = providers.Singleton(
        WebParts,
        service=service,
        lookup=lookup,
        list_orders=list_orders,
        submit=submit,
        cache=cache,
        feed=feed,
        metrics=metrics,
        stats=stats,
        access=access,
        page_cache=page_cache,
        asyncapi=providers.Singleton(asyncapi_document.document, settings),
        tracing=traces,
        dead_letters=dead_letter_tools,
    )

"""Traces with OpenTelemetry, configured by its standard ``OTEL_*`` variables; off unless an endpoint is set.

With ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) set, spans go to
that OTLP/HTTP collector in batches (``OTEL_BSP_*``), sampled by
``OTEL_TRACES_SAMPLER``, named by ``OTEL_SERVICE_NAME`` (default
``order-service``), propagated as ``OTEL_PROPAGATORS`` says (default: W3C
``traceparent``). Otherwise there is no provider at all: nothing is wrapped or
instrumented, so no request pays for tracing (the cached lookup never does).

What is traced: ``POST /api/orders`` (a server span, continuing the caller's
``traceparent``), its publish (a producer span whose context travels in the
message's headers), each ingested batch (``ingest_tracing.py``: a consumer span
linking every message it stored), and every asyncpg call under them.
"""

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping

from aiohttp import web
from aiohttp.typedefs import Handler
from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from app.entrypoints.settings import Settings
from app.ports.order_publisher import OrderPublisher

INSTRUMENTATION = "order-service"


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The SDK's provider exporting over OTLP/HTTP, or None when tracing is off."""
    if not settings.tracing:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "order-service"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


async def instrumented(provider: TracerProvider | None) -> AsyncIterator[TracerProvider | None]:
    """The container's resource: asyncpg calls become spans while the service runs; at the end the
    spans still buffered are sent."""
    if provider is None:
        yield None
        return
    instrumentor = AsyncPGInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield provider
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


class Tracing:
    """What the service's code needs of OpenTelemetry; every method is a no-op when tracing is off."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.enabled = provider is not None
        self.tracer = provider.get_tracer(INSTRUMENTATION) if provider is not None else trace.NoOpTracer()

    def headers(self) -> dict[str, str]:
        """The current span's context as message headers (``traceparent``...)."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return carrier

    def context_of(self, headers: Mapping[str, str] | None) -> context.Context | None:
        """The span context a message's headers carry, if any."""
        if not headers:
            return None
        extracted = propagate.extract(headers)
        return extracted if trace.get_current_span(extracted).get_span_context().is_valid else None

    def server_handler(self, handler: Handler, route: str) -> Handler:
        """``handler`` in a server span that continues the request's ``traceparent``."""
        if not self.enabled:
            return handler
        tracer = self.tracer

        @functools.wraps(handler)
        async def traced(request: web.Request) -> web.StreamResponse:
            parent = propagate.extract(request.headers)
            attributes = {"http.request.method": request.method, "http.route": route, "url.path": request.path}
            name = f"{request.method} {route}"
            with tracer.start_as_current_span(name, parent, trace.SpanKind.SERVER, attributes) as span:
                response = await handler(request)
                span.set_attribute("http.response.status_code", response.status)
                if response.status >= 500:
                    span.set_status(trace.StatusCode.ERROR)
                return response

        return traced

    @contextlib.contextmanager
    def publishing(self, subject: str) -> Iterator[None]:
        with self.tracer.start_as_current_span(
            f"send {subject}",
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.destination.name": subject},
        ):
            yield


class TracedPublisher:
    """An OrderPublisher whose publishes are producer spans (their context goes in the headers)."""

    def __init__(self, publisher: OrderPublisher, tracing: Tracing, subject: str) -> None:
        self._publisher = publisher
        self._tracing = tracing
        self._subject = subject

    async def publish(self, body: bytes, msg_id: str | None) -> bool:
        with self._tracing.publishing(self._subject):
            return await self._publisher.publish(body, msg_id)


def traced_publisher(publisher: OrderPublisher, tracing: Tracing, subject: str) -> OrderPublisher:
    return TracedPublisher(publisher, tracing, subject) if tracing.enabled else publisher


def trace_headers(tracing: Tracing) -> Callable[[], dict[str, str]] | None:
    """For the JetStream publisher: the headers to add to each message, None when tracing is off."""
    return tracing.headers if tracing.enabled else None

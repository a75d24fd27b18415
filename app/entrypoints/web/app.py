"""The aiohttp application: every route, over the collaborators the container built."""

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from app.adapters.memory_order_cache import MemoryOrderCache
from app.entrypoints.tracing import Tracing
from app.entrypoints.web import dead_letter_page, health, kept_answers, live_events, openapi, order_api, pages, swagger
from app.entrypoints.web.api_access import ApiAccess
from app.entrypoints.web.problems import no_route
from app.entrypoints.web.routing import Routes
from app.ports.metrics import ServiceMetrics
from app.ports.order_feed import OrderFeed
from app.service_layer.dead_letter_tools import DeadLetterTools
from app.service_layer.order_lookup import ListOrders, OrderLookup
from app.service_layer.service import OrderService
from app.service_layer.service_stats import ServiceStats
from app.service_layer.submit_order import SubmitOrder

MAX_BODY_BYTES = 1024 * 1024
# What every runner of the app passes to aiohttp. No access log: requests are timed by their
# handlers (``routing.py``), and a log line each would cost more than the cached lookup itself.
SERVER_OPTIONS: dict[str, Any] = {"access_log": None}


@dataclass(frozen=True)
class WebParts:
    """What the web app's handlers use."""

    service: OrderService
    lookup: OrderLookup
    list_orders: ListOrders
    submit: SubmitOrder
    cache: MemoryOrderCache  # the orders' JSON: the use cases' cache, the hot path's kept answers
    feed: OrderFeed
    metrics: ServiceMetrics
    stats: ServiceStats
    access: ApiAccess
    page_cache: kept_answers.KeptAnswers  # rendered order pages by order_uid
    asyncapi: dict[str, Any]  # the message contract's document
    tracing: Tracing
    dead_letters: DeadLetterTools


def create_web_app(parts: WebParts) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.cleanup_ctx.append(kept_answers.settling(parts.cache, parts.page_cache))
    routes = Routes(app, parts.metrics.http, parts.service.is_ready)
    health.add_routes(routes, parts.service, parts.cache, parts.metrics)
    order_api.add_routes(
        routes,
        lookup=parts.lookup,
        list_orders=parts.list_orders,
        submit=parts.submit,
        cache=parts.cache,
        timings=parts.metrics.http,
        access=parts.access,
        tracing=parts.tracing,
    )
    openapi.add_routes(routes, parts.access, parts.asyncapi)
    swagger.add_routes(routes)
    page_handlers = pages.Pages(parts.list_orders, parts.stats, parts.cache, parts.service.is_ready)
    pages.add_routes(
        routes,
        page_handlers,
        lookup=parts.lookup,
        page_cache=parts.page_cache,
        access=parts.access,
        timings=parts.metrics.http,
    )
    events = live_events.LiveEvents(parts.feed, page_handlers.counters)
    live_events.add_routes(routes, events, parts.access.refuse_read)
    dead_letter_page.add_routes(routes, parts.dead_letters, parts.access.refuse_read)
    routes.add("*", "/{path:(?s:.*)}", no_route, name="no-route")  # last; (?s): newlines too
    return app

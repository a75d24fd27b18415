"""One path after a commit: each event, and the one list of what follows it (cosmicpython's bus).

A batch this instance stored (``OrdersStored``) and orders learned from another
instance (``OrdersLearned``, read back from our database) go through the same
list: cache, live feed, waiters; only our own are announced and traced. A handler
that fails is logged and the next one runs: none of them is worth an order.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.ports.metrics import ServiceMetrics
from app.ports.order_announcements import OrderAnnouncer
from app.ports.order_cache import OrderCache
from app.ports.order_feed import OrderFeed
from app.service_layer.events import Event, OrdersLearned, OrdersStored
from app.service_layer.order_arrivals import OrderArrivals

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandlerPorts:
    """What the handlers act on."""

    cache: OrderCache
    feed: OrderFeed
    arrivals: OrderArrivals
    announcer: OrderAnnouncer
    metrics: ServiceMetrics


def cache_orders(event: Event, ports: HandlerPorts) -> None:
    """Those stored now, and those a redelivery found stored before (it refills the cache)."""
    found_again = event.report.duplicate_orders if isinstance(event, OrdersStored) else []
    put = ports.cache.put
    for order in [*event.orders, *found_again]:
        put(order.uid, order.json)


def show_in_feed(event: Event, ports: HandlerPorts) -> None:
    if event.orders:
        ports.feed.announce(event.orders)


def answer_waiters(event: Event, ports: HandlerPorts) -> None:
    ports.arrivals.arrived((order.uid, order.json) for order in event.orders)


def announce_to_others(event: OrdersStored, ports: HandlerPorts) -> None:
    if event.orders:
        ports.announcer.announce(event.orders)


def measure_batch(event: OrdersStored, ports: HandlerPorts) -> None:
    ports.metrics.record_batch(event.report, event.size, event.seconds)


def count_learned(event: OrdersLearned, ports: HandlerPorts) -> None:
    ports.metrics.record_learned(len(event.orders))


def end_trace(event: OrdersStored, ports: HandlerPorts) -> None:
    if event.trace is not None:
        event.trace.end(event.report)


Handler = Callable[[Any, HandlerPorts], None]
EVENT_HANDLERS: Mapping[type[Event], Sequence[Handler]] = {
    OrdersStored: [cache_orders, show_in_feed, answer_waiters, announce_to_others, measure_batch, end_trace],
    OrdersLearned: [cache_orders, show_in_feed, answer_waiters, count_learned],
}


class MessageBus:
    """Hands each event to its handlers, in the order of ``EVENT_HANDLERS``."""

    def __init__(self, ports: HandlerPorts, handlers: Mapping[type[Event], Sequence[Handler]] = EVENT_HANDLERS):
        self._ports = ports
        self._handlers = handlers

    def handle(self, event: Event) -> None:
        for handler in self._handlers[type(event)]:
            try:
                handler(event, self._ports)
            except Exception:
                log.exception("%s after %s failed", handler.__name__, type(event).__name__)

"""What follows each batch stored, by this instance or, as announced, by another one.

Either way the live feed shows the orders and the requests waiting for them
(``POST /api/orders?wait=N``) are answered; this instance's own batches are
also measured, traced (its span ends here) and announced to the others, whose
orders go into the cache (this instance's own are cached by the ingest itself).
"""

from collections.abc import Sequence

from app.domain.document import SerializedOrder
from app.domain.ingest_orders import BatchReport
from app.domain.order_arrivals import OrderArrivals
from app.entrypoints.ingest_tracing import finish_batch
from app.ports.metrics import ServiceMetrics
from app.ports.order_announcements import OrderAnnouncer
from app.ports.order_cache import OrderCache
from app.ports.order_feed import OrderFeed


class AfterBatch:
    """The ingest loop's ``on_batch``."""

    def __init__(
        self, metrics: ServiceMetrics, feed: OrderFeed, arrivals: OrderArrivals, announcer: OrderAnnouncer
    ) -> None:
        self._metrics = metrics
        self._feed = feed
        self._arrivals = arrivals
        self._announcer = announcer

    def __call__(self, report: BatchReport, size: int, seconds: float) -> None:
        self._metrics.record_batch(report, size, seconds)
        finish_batch(report)
        stored = report.stored_orders
        if stored:
            self._announcer.announce(stored)
            self._feed.announce(stored)
            self._arrivals.arrived((order.uid, order.json) for order in stored)


class StoredElsewhere:
    """What the announcements of the other instances are handed to."""

    def __init__(self, cache: OrderCache, feed: OrderFeed, arrivals: OrderArrivals, metrics: ServiceMetrics) -> None:
        self._cache = cache
        self._feed = feed
        self._arrivals = arrivals
        self._metrics = metrics

    def __call__(self, orders: Sequence[SerializedOrder]) -> None:
        put = self._cache.put
        for order in orders:
            put(order.uid, order.json)
        self._feed.announce(orders)
        self._arrivals.arrived((order.uid, order.json) for order in orders)
        self._metrics.record_learned(len(orders))

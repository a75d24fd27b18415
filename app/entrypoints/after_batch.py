"""What follows each batch this instance stored (another one's: ``app.service_layer.stored_elsewhere``).

The live feed shows the orders, the requests waiting for them
(``POST /api/orders?wait=N``) are answered, and the batch is measured, traced
(its span ends here) and announced to the others (the ingest cached its orders).
"""

from app.domain.batch_report import BatchReport
from app.entrypoints.ingest_tracing import finish_batch
from app.ports.metrics import ServiceMetrics
from app.ports.order_announcements import OrderAnnouncer
from app.ports.order_feed import OrderFeed
from app.service_layer.order_arrivals import OrderArrivals


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

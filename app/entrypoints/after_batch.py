"""What follows each ingested batch: its metrics, its trace, the live feed, and waiting requests."""

from app.domain.ingest_orders import BatchReport
from app.domain.order_arrivals import OrderArrivals
from app.entrypoints.ingest_tracing import finish_batch
from app.ports.metrics import ServiceMetrics
from app.ports.order_feed import OrderFeed


class AfterBatch:
    """The ingest loop's ``on_batch``."""

    def __init__(self, metrics: ServiceMetrics, feed: OrderFeed, arrivals: OrderArrivals) -> None:
        self._metrics = metrics
        self._feed = feed
        self._arrivals = arrivals

    def __call__(self, report: BatchReport, size: int, seconds: float) -> None:
        self._metrics.record_batch(report, size, seconds)
        finish_batch(report)
        if report.stored_orders:
            self._feed.announce(report.stored_orders)
            self._arrivals.arrived((order.uid, order.json) for order in report.stored_orders)

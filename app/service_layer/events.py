"""What happened that the message bus acts on (``messagebus.EVENT_HANDLERS`` says what follows)."""

from dataclasses import dataclass

from app.domain.batch_report import BatchReport
from app.domain.document import SerializedOrder
from app.ports.batch_trace import BatchTrace


@dataclass(frozen=True)
class OrdersStored:
    """A batch this instance stored and settled: what it came to, its size, its time, its trace."""

    report: BatchReport
    size: int
    seconds: float
    trace: BatchTrace | None = None

    @property
    def orders(self) -> list[SerializedOrder]:
        return self.report.stored_orders


@dataclass(frozen=True)
class OrdersLearned:
    """Orders another instance announced, as read from our own database: never the announcement's bytes."""

    orders: list[SerializedOrder]


Event = OrdersStored | OrdersLearned

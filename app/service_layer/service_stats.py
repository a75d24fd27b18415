"""The totals the home page shows, read in the background rather than per request."""

import asyncio
import logging
from dataclasses import dataclass

from app.ports.metrics import ServiceMetrics
from app.ports.order_messages import DeadLetterSink, OrderMessageSource
from app.ports.order_repository import OrderRepository
from app.ports.service_setup import StreamTopology

log = logging.getLogger(__name__)


@dataclass
class Totals:
    """``None`` until first read."""

    stored: int | None = None
    dead_lettered: int | None = None
    pending: int | None = None


class ServiceStats:
    """Refreshes ``totals`` every ``every`` seconds: stored, dead-lettered, consumer lag; and the
    streams' usage of their size limits, for the metrics."""

    def __init__(
        self,
        repository: OrderRepository,
        dead_letters: DeadLetterSink,
        source: OrderMessageSource,
        metrics: ServiceMetrics,
        every: float = 2.0,
        topology: StreamTopology | None = None,
    ) -> None:
        self._repository = repository
        self._dead_letters = dead_letters
        self._source = source
        self._metrics = metrics
        self._every = every
        self._topology = topology
        self.totals = Totals()

    async def refresh(self) -> None:
        totals = self.totals
        totals.stored = await self._repository.count()
        totals.dead_lettered = await self._dead_letters.count()
        totals.pending = await self._source.pending()
        self._metrics.set_consumer_pending(totals.pending)
        if self._topology is not None:
            self._metrics.set_stream_usage(await self._topology.usage())

    async def refresh_forever(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as error:  # best effort: readiness reports the outages
                log.debug("stats refresh failed: %s", error)
            await asyncio.sleep(self._every)

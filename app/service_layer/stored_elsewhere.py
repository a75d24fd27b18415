"""What the other instances' announcements lead to: their orders, read from our own database.

An announcement says only which orders another instance stored, and anyone allowed to
publish on its subject could forge one. So nothing of it is served: its uids are read
from our own PostgreSQL, and only the orders read there go to the bus as
``OrdersLearned``. A flood costs bounded work (``MAX_UIDS`` per announcement,
``MAX_WAITING`` waiting, one read of ``READ_AT_MOST`` at a time); what is ignored is
counted, and logged at most every ``WARN_EVERY`` seconds.
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from itertools import islice

from app.domain.announced_uids import NotAnAnnouncement, announced_uids
from app.ports.metrics import ServiceMetrics
from app.ports.order_repository import OrderNotStorable, OrderRepository, StorageUnavailable
from app.service_layer.events import Event, OrdersLearned

MAX_WAITING = 10_000  # uids heard and not read yet: one large ingest batch
READ_AT_MOST = 1000  # uids per query
WARN_EVERY = 60.0  # seconds between two warnings about ignored announcements

log = logging.getLogger(__name__)


class StoredElsewhere:
    """Handed the body of each announcement of another instance (never blocks); reads its orders."""

    def __init__(
        self,
        repository: OrderRepository,
        metrics: ServiceMetrics,
        handle: Callable[[Event], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._metrics = metrics
        self._handle = handle
        self._ignored = IgnoredLog(clock)
        self._waiting: dict[str, None] = {}  # uids to read, in the order heard, each once
        self._reading: asyncio.Task[None] | None = None

    def __call__(self, body: bytes) -> None:
        try:
            uids, malformed = announced_uids(body)
        except NotAnAnnouncement as error:
            self._ignore("malformed", 1, str(error))
            return
        if malformed:
            self._ignore("invalid_uid", malformed, "not order_uids")
        room = MAX_WAITING - len(self._waiting)
        if len(uids) > room:
            self._ignore("backlog", len(uids) - room, f"{MAX_WAITING} uids wait to be read already")
            uids = uids[:room]
        self._waiting.update(dict.fromkeys(uids))
        if self._waiting and self._reading is None:
            self._reading = asyncio.create_task(self._read(), name="stored-elsewhere")

    async def close(self) -> None:
        """Stop reading; the uids not read yet cost cache misses."""
        reading, self._reading = self._reading, None
        self._waiting.clear()
        if reading is not None:
            reading.cancel()
            await asyncio.wait([reading])

    async def _read(self) -> None:
        try:
            while self._waiting:
                uids = list(islice(self._waiting, READ_AT_MOST))
                for uid in uids:
                    del self._waiting[uid]
                await self._read_some(uids)
        finally:
            self._reading = None

    async def _read_some(self, uids: list[str]) -> None:
        try:
            orders = await self._repository.get_many(uids)
        except (StorageUnavailable, OrderNotStorable) as error:
            self._ignore("unavailable", len(uids), f"the database did not answer ({error})")
            return
        if len(orders) < len(uids):
            self._ignore("unknown", len(uids) - len(orders), "not stored here")
        if orders:
            self._handle(OrdersLearned(orders))

    def _ignore(self, reason: str, count: int, why: str) -> None:
        self._metrics.record_announced_ignored(reason, count)
        self._ignored.add(reason, count, why)


class IgnoredLog:
    """Logs each ignored announcement at DEBUG, and at most every ``WARN_EVERY`` s one WARNING
    with the counts since the last one: a flood cannot flood the log."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._since: Counter[str] = Counter()
        self._warned_at: float | None = None

    def add(self, reason: str, count: int, why: str) -> None:
        log.debug("announced orders ignored: %d %s (%s)", count, reason, why)
        self._since[reason] += count
        now = self._clock()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY:
            counts = ", ".join(f"{n} {r}" for r, n in sorted(self._since.items()))
            log.warning("announced orders ignored: %s (orders_announced_ignored_total)", counts)
            self._since.clear()
            self._warned_at = now

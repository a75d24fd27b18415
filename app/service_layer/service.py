"""The running service: its startup in order, its background work, readiness, shutdown.

Startup runs in the background so ``/healthz`` answers at once: migrations,
the streams, the other instances' announcements, the cache warm-up, then the
consumer and the ingest loop. Each step is retried until its server answers.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.ports.order_announcements import OrderAnnouncements, OrderAnnouncer
from app.ports.order_messages import OrderMessageSource
from app.ports.order_repository import OrderRepository
from app.ports.service_setup import SchemaMigrator, StreamTopology
from app.service_layer.ingest_loop import IngestLoop
from app.service_layer.order_lookup import WarmUpCache
from app.service_layer.service_stats import ServiceStats
from app.service_layer.stored_elsewhere import StoredElsewhere

log = logging.getLogger(__name__)
T = TypeVar("T")
STOP_TIMEOUT = 30.0  # for the batch in hand
DATABASE_CHECK_SECONDS = 1.0  # readiness waits this long for the database's answer


async def retry(what: str, step: Callable[[], Awaitable[T]], most: float = 5.0) -> T:
    """``step()``, again and again with a growing pause until it succeeds."""
    delay = 0.2
    while True:
        try:
            return await step()
        except Exception as error:  # any failure here means "not yet"
            log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(error).__name__, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, most)


class OrderService:
    """Everything ``orders serve`` runs besides the web app, and whether it is ready."""

    def __init__(
        self,
        *,
        migrator: SchemaMigrator,
        topology: StreamTopology,
        warm_up: WarmUpCache,
        source: OrderMessageSource,
        ingest_loop: IngestLoop,
        repository: OrderRepository,
        stats: ServiceStats,
        announcer: OrderAnnouncer,
        announcements: OrderAnnouncements,
        stored_elsewhere: StoredElsewhere,
        after_reopen: Callable[[Callable[[], Awaitable[None]]], None] | None = None,
    ) -> None:
        self._migrator = migrator
        self._topology = topology
        self._warm_up = warm_up
        self._source = source
        self._ingest_loop = ingest_loop
        self._repository = repository
        self._stats = stats
        self._announcer = announcer
        self._announcements = announcements
        self._stored_elsewhere = stored_elsewhere
        self._listening = False
        self._migrated = False
        self._warmed = False
        self._subscribed = False
        self.ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop_task: asyncio.Task[None] | None = None
        self._database_probe: asyncio.Task[None] | None = None
        if after_reopen is not None:  # NATS connected again: subscribe again
            after_reopen(self._subscribe_again)

    def is_ready(self) -> bool:
        return self.ready.is_set()

    async def start(self) -> None:
        applied = await retry("migrations", lambda: asyncio.to_thread(self._migrator.apply))
        log.info("migrations applied: %s", ", ".join(applied) or "none pending")
        self._migrated = True
        await retry("JetStream setup", self._topology.ensure)
        # Before the warm-up, so that no order another instance stores meanwhile is missed.
        await retry("announcements subscription", lambda: self._announcements.subscribe(self._stored_elsewhere))
        self._listening = True
        warmed = await retry("cache warm-up", self._warm_up)
        self._warmed = True
        log.info("cache warmed with %d orders", warmed)
        await retry("consumer subscription", self._source.start)
        self._subscribed = True
        self._loop_task = asyncio.create_task(self._ingest_loop.run(), name="ingest-loop")
        self._tasks.append(asyncio.create_task(self._stats.refresh_forever(), name="stats"))
        self.ready.set()
        log.info("ready")

    async def stop(self) -> None:
        """Stop fetching, let the batch in hand finish and be announced, then stop the consumer."""
        for task in [*self._tasks, self._database_probe]:
            if task is not None:
                task.cancel()
        if self._loop_task is not None:
            self._ingest_loop.stop()
            try:
                await asyncio.wait_for(self._loop_task, timeout=STOP_TIMEOUT)
            except TimeoutError:
                log.error("the ingest loop did not finish its batch in %.0f s", STOP_TIMEOUT)
            await self._announcer.flush()
        if self._subscribed:
            await self._source.stop()
        if self._listening:
            await self._announcements.unsubscribe()
            await self._stored_elsewhere.close()

    async def _subscribe_again(self) -> None:
        """After NATS was connected again: the client dropped every subscription when it was closed."""
        if self._listening:
            await self._announcements.unsubscribe()
            await self._announcements.subscribe(self._stored_elsewhere)
        if self._subscribed:
            await self._source.start()
        log.info("subscribed again")

    async def readiness(self) -> dict[str, bool]:
        """Each part that must hold for the service to take traffic."""
        loop = self._ingest_loop
        return {
            "migrations": self._migrated,
            "cache_warmed": self._warmed,
            "consumer": self.is_ready() and loop.consuming,  # running, fetching and storing
            "nats": self._source.connected,
            "database": self._migrated and await self._database_answers(),
        }

    async def _database_answers(self) -> bool:
        """Whether the database answered a ping within ``DATABASE_CHECK_SECONDS``; checks made meanwhile
        share it. The ping is never cancelled: over a silent link asyncpg's cancel request would wait
        for the connect timeout, longer than a readiness check may take."""
        probe = self._database_probe
        if probe is None or probe.done():
            probe = self._database_probe = asyncio.create_task(self._repository.ping(), name="database-probe")
            probe.add_done_callback(_retrieve)
        await asyncio.wait([probe], timeout=DATABASE_CHECK_SECONDS)
        return probe.done() and not probe.cancelled() and probe.exception() is None


def _retrieve(task: asyncio.Task[None]) -> None:
    """A failed ping is an answer (False), not an error to log as never retrieved."""
    if not task.cancelled():
        task.exception()

"""Brings the order service up in order, tells whether it is ready, and stops it.

Startup runs in the background so ``/healthz`` answers at once: resources,
migrations, JetStream topology, cache warm-up, then the ingest loop. Each step
retries until its server is reachable.
"""

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.adapters.jetstream_topology import ensure_topology
from app.domain.ingest_loop import IngestLoop
from app.domain.order_lookup import OrderLookup
from app.entrypoints.container import Container
from app.ports.order_publisher import OrderPublisher
from app.ports.order_repository import StorageUnavailable

log = logging.getLogger(__name__)


async def resolve(provider: Callable[[], Any]) -> Any:
    """A provider's object, awaiting it when it hangs on an async resource."""
    value = provider()
    return await value if inspect.isawaitable(value) else value


async def retry(what: str, step: Callable[[], Awaitable[Any]], most: float = 5.0) -> Any:
    delay = 0.2
    while True:
        try:
            return await step()
        except Exception as error:  # noqa: BLE001 - any failure here means "not yet"
            log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(error).__name__, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, most)


@dataclass
class ServiceStats:
    """Totals refreshed in the background (``None`` until first read)."""

    stored: int | None = None
    dead_lettered: int | None = None
    pending: int | None = None


class OrderService:
    """The running service: its wired parts and its readiness."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.settings = container.settings()
        self.cache = container.cache()
        self.feed = container.feed()
        self.metrics = container.metrics()
        self.stats = ServiceStats()
        self.publisher: OrderPublisher | None = None
        self.lookup: OrderLookup | None = None
        self.ingest_loop: IngestLoop | None = None
        self.migrated = False
        self.warmed_orders: int | None = None
        self.ready = asyncio.Event()
        self._loop_task: asyncio.Task | None = None
        self._stats_task: asyncio.Task | None = None
        self._settle_task: asyncio.Task | None = None

    async def start(self) -> None:
        c = self.container
        self._settle_task = asyncio.create_task(self._settle_cache(), name="cache-settle")
        await c.init_resources()
        migrator = c.migrator()
        applied = await retry("migrations", lambda: asyncio.to_thread(migrator.apply))
        log.info("migrations applied: %s", applied or "none pending")
        self.migrated = True
        js = await resolve(c.jetstream)
        await retry("JetStream setup", lambda: ensure_topology(js, self.settings.jetstream_names()))
        self.lookup = await resolve(c.lookup)
        self.publisher = await resolve(c.publisher)
        warm_up = await resolve(c.warm_up)
        self.warmed_orders = await retry("cache warm-up", warm_up)
        log.info("cache warmed with %d orders", self.warmed_orders)
        source = await resolve(c.source)
        await retry("consumer subscription", source.start)
        self.ingest_loop = await resolve(c.ingest_loop)
        self._loop_task = asyncio.create_task(self.ingest_loop.run(), name="ingest-loop")
        self._stats_task = asyncio.create_task(self._refresh_stats(), name="stats")
        self.ready.set()
        log.info("ready")

    async def stop(self) -> None:
        """Stop fetching, let the batch in hand finish, then close connections."""
        for task in (self._stats_task, self._settle_task):
            if task is not None:
                task.cancel()
        if self.ingest_loop is not None and self._loop_task is not None:
            self.ingest_loop.stop()
            try:
                await asyncio.wait_for(self._loop_task, timeout=30)
            except TimeoutError:
                log.error("ingest loop did not finish its batch in 30 s")
            await (await resolve(self.container.source)).stop()
        await self.container.shutdown_resources()

    async def readiness(self) -> dict[str, bool]:
        """Each part that must hold for the service to take traffic."""
        loop = self.ingest_loop
        parts = {
            "migrations": self.migrated,
            "cache_warmed": self.warmed_orders is not None,
            "consumer": bool(loop and loop.running and not loop.storage_down),
            "nats": False,
            "database": False,
        }
        if self.ready.is_set():
            parts["nats"] = (await resolve(self.container.nats_client)).is_connected
            parts["database"] = await self._database_answers()
        return parts

    async def _settle_cache(self, every: float = 0.1) -> None:
        """Let the cache apply the hits it recorded (see MemoryOrderCache); this bounds their list.
        Often, so each pass is short: about 0.1 µs a hit, a few thousand hits at full load."""
        while True:
            self.cache.settle()
            await asyncio.sleep(every)

    async def _refresh_stats(self, every: float = 2.0) -> None:
        """Totals that are costly to read per request: stored, dead-lettered, consumer lag."""
        c = self.container
        repository, source, js = await resolve(c.repository), await resolve(c.source), await resolve(c.jetstream)
        while True:
            try:
                self.stats.stored = await repository.count()
                self.stats.dead_lettered = (await js.stream_info(self.settings.dlq_stream)).state.messages
                self.stats.pending = await source.pending()
                self.metrics.pending.set(self.stats.pending)
            except Exception as error:  # noqa: BLE001 - stats are best effort; readiness reports outages
                log.debug("stats refresh failed: %s", error)
            await asyncio.sleep(every)

    async def _database_answers(self) -> bool:
        repository = await resolve(self.container.repository)
        try:
            await asyncio.wait_for(repository.ping(), timeout=1.0)
        except (StorageUnavailable, TimeoutError):
            return False
        return True

"""Use case: keep ingesting batches until told to stop.

While storage is unreachable the loop stops fetching (messages would only be
redelivered) and probes storage with a growing pause, then resumes by itself.
A stop request lets the batch in hand finish before the loop returns.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from app.domain.ingest_orders import BatchReport, IngestOrders, PreparedBatch, retry_delay
from app.ports.order_messages import OrderMessage, OrderMessageSource
from app.ports.order_repository import OrderRepository, StorageUnavailable

log = logging.getLogger(__name__)


class IngestLoop:
    """Fetch → ingest → settle, batch after batch."""

    def __init__(
        self,
        source: OrderMessageSource,
        ingest: IngestOrders,
        repository: OrderRepository,
        batch_size: int = 500,
        fetch_timeout: float = 1.0,
        on_batch: Callable[[BatchReport, int, float], None] = lambda report, size, seconds: None,
        concurrent_writes: int = 1,
    ) -> None:
        self._source = source
        self._ingest = ingest
        self._repository = repository
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self._on_batch = on_batch
        self._concurrent_writes = concurrent_writes
        self._stopping = asyncio.Event()
        self.running = False
        self.storage_down = False

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Fetch and validate the next batch while earlier ones are being written.

        At most ``concurrent_writes`` batches are written at once (each in its own
        transaction); while storage is away the writers wait for it, so fetching stops too.
        """
        self.running = True
        writing: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping.is_set():
                if self.storage_down and writing:
                    await asyncio.wait(writing)  # fetch nothing more until storage is back
                messages = await self._fetch()
                writing = {task for task in writing if not task.done()}
                if not messages:
                    continue
                batch = self._ingest.prepare(messages)
                while len(writing) >= self._concurrent_writes:
                    _, writing = await asyncio.wait(writing, return_when=asyncio.FIRST_COMPLETED)
                writing.add(asyncio.create_task(self._store(batch, len(messages))))
            if writing:
                await asyncio.wait(writing)  # finish the batches in hand
        finally:
            self.running = False

    async def _fetch(self) -> Sequence[OrderMessage]:
        try:
            return await self._source.fetch(self._batch_size, self._fetch_timeout)
        except Exception as error:  # the broker is away; its client reconnects on its own
            log.warning("fetch failed: %s", error)
            await self._pause(self._fetch_timeout)
            return []

    async def _store(self, batch: PreparedBatch, size: int) -> None:
        """Write one prepared batch; if storage is away, wait until it answers again."""
        started = time.perf_counter()
        try:
            report = await self._ingest.store(batch)
        except Exception:  # a bug must not stop ingest: the batch is redelivered after ack_wait
            log.exception("ingest of a batch of %d failed", size)
            return
        self._on_batch(report, size, time.perf_counter() - started)
        if report.storage_unavailable:
            await self._wait_for_storage()

    async def _wait_for_storage(self) -> None:
        self.storage_down = True
        attempt = 1
        log.warning("storage unavailable: pausing ingest")
        while not self._stopping.is_set():
            await self._pause(retry_delay(attempt, first=0.2, most=5.0))
            try:
                await self._repository.ping()
            except StorageUnavailable:
                attempt += 1
                continue
            log.info("storage is back: resuming ingest")
            break
        self.storage_down = False

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

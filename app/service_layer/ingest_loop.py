"""Use case: keep ingesting batches until told to stop.

Each batch carries its trace (log id and span) from the fetch to its ``OrdersStored``
event, made current explicitly in each task that works on it. While storage is
unreachable the loop stops fetching and probes it with a growing pause. Nothing stops
it for good: a failed fetch or batch is logged and retried, and should anything else
escape, ``run`` logs it and starts the loop again after a growing pause.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from app.ports.batch_trace import BatchTrace, BatchTracer
from app.ports.order_messages import OrderMessage, OrderMessageSource
from app.ports.order_repository import OrderRepository, StorageUnavailable
from app.service_layer.events import Event, OrdersStored
from app.service_layer.ingest_orders import IngestOrders, retry_delay
from app.service_layer.prepared_batch import PreparedBatch

log = logging.getLogger(__name__)
HEALTHY_RUN = 60.0  # seconds: a loop that ran this long before failing starts again after the first pause


class IngestLoop:
    """Fetch → ingest → settle, batch after batch."""

    def __init__(
        self,
        source: OrderMessageSource,
        ingest: IngestOrders,
        repository: OrderRepository,
        tracer: BatchTracer,
        handle: Callable[[Event], None],
        batch_size: int = 500,
        fetch_timeout: float = 1.0,
        concurrent_writes: int = 1,
        restart_delay: float = 0.5,
    ) -> None:
        self._source = source
        self._ingest = ingest
        self._repository = repository
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self._tracer = tracer
        self._handle = handle
        self._concurrent_writes = concurrent_writes
        self._restart_delay = restart_delay
        self._stopping = asyncio.Event()
        self.running = False
        self.storage_down = False
        self.fetch_failing = False
        self.restarts = 0

    @property
    def consuming(self) -> bool:
        """Running, fetching and storing: what readiness calls "consumer"."""
        return self.running and not self.storage_down and not self.fetch_failing

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Run the loop until stopped, starting it again whenever it fails."""
        crashes = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                await self._run()
            except Exception:
                crashes = 1 if time.monotonic() - started > HEALTHY_RUN else crashes + 1
                self.restarts += 1
                delay = retry_delay(crashes, first=self._restart_delay, most=30.0)
                log.exception("the ingest loop failed; starting it again in %.1f s", delay)
                await self._pause(delay)
            else:
                return

    async def _run(self) -> None:
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
                trace = self._tracer.begin(messages)
                with trace.current():
                    batch = self._ingest.prepare(messages)
                while len(writing) >= self._concurrent_writes:
                    _, writing = await asyncio.wait(writing, return_when=asyncio.FIRST_COMPLETED)
                writing.add(asyncio.create_task(self._store(batch, trace, len(messages))))
        finally:
            self.running = False
            if writing:
                await asyncio.wait(writing)  # finish the batches in hand

    async def _fetch(self) -> Sequence[OrderMessage]:
        try:
            messages = await self._source.fetch(self._batch_size, self._fetch_timeout)
        except Exception as error:  # the broker is away (its client reconnects on its own), or the consumer
            if not self.fetch_failing:
                log.warning("fetch failed (%s: %s); retrying", type(error).__name__, error)
            self.fetch_failing = True
            await self._pause(self._fetch_timeout)
            return []
        if self.fetch_failing:
            log.info("fetching again")
            self.fetch_failing = False
        return messages

    async def _store(self, batch: PreparedBatch, trace: BatchTrace, size: int) -> None:
        """Write one prepared batch and hand on what it came to; if storage is away, wait for it."""
        with trace.current():
            started = time.perf_counter()
            try:
                report = await self._ingest.store(batch)
            except Exception:  # a bug must not stop ingest: the batch is redelivered after ack_wait
                log.exception("ingest of a batch of %d failed", size)
                return
            self._handle(OrdersStored(report, size, time.perf_counter() - started, trace))
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
            except Exception:  # not an answer either
                log.exception("storage probe failed")
                attempt += 1
                continue
            log.info("storage is back: resuming ingest")
            break
        self.storage_down = False

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

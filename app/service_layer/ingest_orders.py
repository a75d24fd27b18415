"""Use case: take one fetched batch of order messages to stored and acked.

Valid orders are saved in one transaction and acked after the commit; bad messages
and conflicting versions are dead-lettered, then terminated; while storage is down
every unsettled valid message is naked with a growing delay. No message holds up
the others (``docs/reliability.md``): an unclassified failure is retried, and
dead-lettered at its ``max_deliveries``-th. Batches may be saved concurrently, but
each settles only after the one before it, so settling follows arrival order.
"""

import asyncio
import logging
from collections.abc import Sequence

from app.domain.batch_report import BatchReport
from app.domain.document import SerializedOrder
from app.domain.rejections import CONFLICT, UNEXPECTED, UNSTORABLE, FailureCounts, unexpected_reason
from app.ports.order_messages import DeadLetterSink, DeadLetterUnavailable, OrderMessage
from app.ports.order_repository import OrderNotStorable, OrderRepository, SaveOutcome, StorageUnavailable
from app.service_layer.prepared_batch import PreparedBatch, Wave, prepare

log = logging.getLogger(__name__)
CONFLICT_REASON = "conflict: order_uid {uid} is already stored with different content"
Outcome = SaveOutcome | Exception  # what saving one order came to: a verdict, or what the save raised


def retry_delay(attempt: int, first: float = 0.5, most: float = 30.0) -> float:
    """Seconds to wait before redelivery: doubles with each attempt, capped."""
    return min(first * 2.0 ** max(attempt - 1, 0), most)


class IngestOrders:
    """Validate, store and settle one batch of order messages (``OrdersStored`` says what follows)."""

    def __init__(
        self,
        repository: OrderRepository,
        dead_letters: DeadLetterSink,
        max_deliveries: int = 5,
    ) -> None:
        self._repository = repository
        self._dead_letters = dead_letters
        self._max_deliveries = max_deliveries
        self.failures = FailureCounts()
        self._last_settled: asyncio.Future[None] | None = None  # the latest store()'s settling turn

    def prepare(self, messages: Sequence[OrderMessage]) -> PreparedBatch:
        """The CPU part: validate and serialize (may run while the previous batch is written)."""
        return prepare(messages)

    async def __call__(self, messages: Sequence[OrderMessage]) -> BatchReport:
        return await self.store(self.prepare(messages))

    async def store(self, batch: PreparedBatch) -> BatchReport:
        """The I/O part: save; then, once the batch before has settled, ack, dead-letter or nak
        each message."""
        settled = asyncio.get_running_loop().create_future()
        settle_after, self._last_settled = self._last_settled, settled  # taken before the first await
        try:
            report = BatchReport()
            saved, unsaved = await self._save_waves(batch.waves, report)
            if settle_after is not None:
                await settle_after
            await self._settle_saved(saved, report)
            for message in unsaved:
                try:
                    await self._retry(message, report)
                except Exception as error:
                    await self._failed(message, "naking it", error, report)
            for refusal in batch.refused:
                try:
                    await self._dead_letter(refusal.message, refusal.reason, refusal.kind, report, refusal.uid)
                except Exception as error:
                    await self._failed(refusal.message, "dead-lettering it", error, report, refusal.uid)
            return report
        finally:
            settled.set_result(None)

    async def _settle_saved(self, saved: list[tuple[Wave, dict[str, Outcome]]], report: BatchReport) -> None:
        """Ack the stored, settle the others; after a failure, carry on with the next."""
        stored = report.stored_orders
        for wave, outcomes in saved:
            each = iter(wave.items())
            while True:
                try:
                    for uid, (message, order) in each:
                        outcome = outcomes.get(uid)
                        if outcome is SaveOutcome.STORED:  # nearly every order: _settle's first case, inline
                            stored.append(order)
                            await message.ack()
                        else:
                            await self._settle(message, order, outcome, report)
                    break
                except Exception as error:  # in the message in hand: go on with the next
                    await self._failed(message, "settling it", error, report, uid)

    async def _save_waves(
        self, waves: list[Wave], report: BatchReport
    ) -> tuple[list[tuple[Wave, dict[str, Outcome]]], list[OrderMessage]]:
        """Save wave after wave; the saved waves with their outcomes, and the messages left
        unsaved because storage went away."""
        saved: list[tuple[Wave, dict[str, Outcome]]] = []
        for n, wave in enumerate(waves):  # a repeated uid's later wave is saved after its first
            try:
                saved.append((wave, await self._save(list(wave.values()))))
            except StorageUnavailable:
                report.storage_unavailable = True
                return saved, [message for later in waves[n:] for message, _ in later.values()]
        return saved, []

    async def _save(self, pending: list[tuple[OrderMessage, SerializedOrder]]) -> dict[str, Outcome]:
        try:
            return dict(await self._repository.save([order for _, order in pending]))
        except StorageUnavailable:
            raise
        except Exception as error:  # refused (OrderNotStorable) or unclassified
            await self._unless_unreachable(error)
            if len(pending) == 1:
                return {pending[0][1].uid: error}
            log.warning("a batch could not be saved (%s: %s); saving one order at a time", type(error).__name__, error)
        # One order poisons the batch: store one at a time to find it.
        outcomes: dict[str, Outcome] = {}
        for _, order in pending:
            try:
                outcomes.update(await self._repository.save([order]))
            except StorageUnavailable:
                raise
            except Exception as error:
                await self._unless_unreachable(error)
                outcomes[order.uid] = error
        return outcomes

    async def _unless_unreachable(self, error: Exception) -> None:
        """A failed save while storage does not answer is an outage, whatever it raised:
        raise StorageUnavailable then, so that it is never held against an order."""
        if isinstance(error, OrderNotStorable):
            return
        try:
            await self._repository.ping()
        except Exception as unreachable:
            raise StorageUnavailable(f"{type(error).__name__}: {error}") from unreachable

    async def _settle(
        self, message: OrderMessage, order: SerializedOrder, outcome: Outcome | None, report: BatchReport
    ) -> None:
        """Any outcome but STORED, which ``_settle_saved`` settles inline."""
        if outcome is SaveOutcome.DUPLICATE:  # stored before with the same content
            report.duplicate_orders.append(order)
            await message.ack()
        elif outcome is SaveOutcome.CONFLICT:
            if await self._dead_letter(message, CONFLICT_REASON.format(uid=order.uid), CONFLICT, report, order.uid):
                report.conflicts += 1
        elif isinstance(outcome, OrderNotStorable):
            await self._dead_letter(message, f"storage refused the order: {outcome}", UNSTORABLE, report, order.uid)
        else:
            error = outcome if isinstance(outcome, Exception) else LookupError("the store said nothing of it")
            await self._failed(message, "storing it", error, report, order.uid)

    async def _dead_letter(
        self, message: OrderMessage, reason: str, kind: str, report: BatchReport, uid: str | None
    ) -> bool:
        try:
            await self._dead_letters.dead_letter(message, reason, kind, uid)
        except DeadLetterUnavailable:
            await self._retry(message, report)
            return False
        await message.term()
        report.dead_lettered[kind] = report.dead_lettered.get(kind, 0) + 1
        return True

    async def _retry(self, message: OrderMessage, report: BatchReport) -> None:
        report.retried += 1
        await message.nak(retry_delay(message.delivery_attempt))

    async def _failed(
        self, message: OrderMessage, step: str, error: Exception, report: BatchReport, uid: str | None = None
    ) -> None:
        """An unexpected failure: retried with a growing delay, dead-lettered at the last allowed one."""
        reason = unexpected_reason(step, error)
        try:
            failures = self.failures.add(message.stream_sequence, message.data)
            if failures < self._max_deliveries:
                log.error("%s (failure %d of %d: retried)", reason, failures, self._max_deliveries, exc_info=error)
                report.failed += 1
                report.retried += 1
                await message.nak(retry_delay(failures))
                return
            log.error("%s (failure %d: dead-lettered)", reason, failures, exc_info=error)
            given_up = f"{reason} (failed {failures} times)"
            if await self._dead_letter(message, given_up, UNEXPECTED, report, uid):
                self.failures.forget(message.stream_sequence, message.data)
        except Exception:
            log.exception("a message could not be settled after %s; it is redelivered after the ack wait", reason)

"""Use case: take one fetched batch of order messages to stored, cached and acked.

Valid orders of a batch are saved in one transaction and acked only after the
commit. Bad messages and conflicting versions are dead-lettered, then
terminated. When storage is down every unsettled valid message is naked with a
growing delay and the report says so, so the caller can stop fetching.

Batches may be stored concurrently (their saves overlap), but each settles its
messages only after the batch stored before it has settled: acks, naks and dead
letters follow the order in which the batches came.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.domain.document import SerializedOrder, serialize
from app.domain.validation import InvalidOrder, parse_order
from app.ports.order_cache import OrderCache
from app.ports.order_messages import DeadLetterSink, DeadLetterUnavailable, OrderMessage
from app.ports.order_repository import OrderNotStorable, OrderRepository, SaveOutcome, StorageUnavailable

CONFLICT_REASON = "conflict: order_uid {uid} is already stored with different content"
Wave = dict[str, tuple[OrderMessage, SerializedOrder]]  # distinct uids, in arrival order
Outcome = SaveOutcome | OrderNotStorable  # what saving one order came to


def retry_delay(attempt: int, first: float = 0.5, most: float = 30.0) -> float:
    """Seconds to wait before redelivery: doubles with each attempt, capped."""
    return min(first * 2.0 ** max(attempt - 1, 0), most)


@dataclass
class BatchReport:
    """What one batch came to; the caller turns it into metrics and pacing."""

    stored_orders: list[SerializedOrder] = field(default_factory=list)  # newly stored, in order
    duplicates: int = 0
    conflicts: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)  # by kind of reason
    retried: int = 0
    storage_unavailable: bool = False

    @property
    def stored(self) -> int:
        return len(self.stored_orders)


class IngestOrders:
    """Validate, store, cache and settle one batch of order messages."""

    def __init__(self, repository: OrderRepository, cache: OrderCache, dead_letters: DeadLetterSink) -> None:
        self._repository = repository
        self._cache = cache
        self._dead_letters = dead_letters
        self._last_settled: asyncio.Future[None] | None = None  # the latest store()'s settling turn

    def prepare(self, messages: Sequence[OrderMessage]) -> "PreparedBatch":
        """The CPU part: validate and serialize (may run while the previous batch is written)."""
        return _sort(messages)

    async def __call__(self, messages: Sequence[OrderMessage]) -> BatchReport:
        return await self.store(self.prepare(messages))

    async def store(self, batch: "PreparedBatch") -> BatchReport:
        """The I/O part: save; then, once the batch before has settled, cache and ack,
        dead-letter or nak each message."""
        settled = asyncio.get_running_loop().create_future()
        settle_after, self._last_settled = self._last_settled, settled  # taken before the first await
        try:
            report = BatchReport()
            saved, unsaved = await self._save_waves(batch.waves, report)
            if settle_after is not None:
                await settle_after
            stored, cache_put = report.stored_orders, self._cache.put
            for wave, outcomes in saved:
                for uid, (message, order) in wave.items():
                    outcome = outcomes[uid]
                    if outcome is SaveOutcome.STORED:  # nearly every order: _settle's first case, inline
                        stored.append(order)
                        cache_put(uid, order.json)
                        await message.ack()
                    else:
                        await self._settle(message, order, outcome, report)
            for message in unsaved:
                await self._retry(message, report)
            for message, reason in batch.invalid:
                await self._dead_letter(message, reason, "invalid", report)
            return report
        finally:
            settled.set_result(None)

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
        except OrderNotStorable as error:
            if len(pending) == 1:
                return {pending[0][1].uid: error}
        # One order poisons the batch: store one at a time to find it.
        outcomes: dict[str, Outcome] = {}
        for _, order in pending:
            try:
                outcomes.update(await self._repository.save([order]))
            except OrderNotStorable as error:
                outcomes[order.uid] = error
        return outcomes

    async def _settle(
        self, message: OrderMessage, order: SerializedOrder, outcome: Outcome, report: BatchReport
    ) -> None:
        """Any outcome but STORED, which ``store`` settles inline."""
        if isinstance(outcome, OrderNotStorable):
            await self._dead_letter(message, f"storage refused the order: {outcome}", "unstorable", report)
        elif outcome is SaveOutcome.CONFLICT:
            if await self._dead_letter(message, CONFLICT_REASON.format(uid=order.uid), "conflict", report):
                report.conflicts += 1
        else:  # a duplicate: stored before with the same content
            report.duplicates += 1
            self._cache.put(order.uid, order.json)
            await message.ack()

    async def _dead_letter(self, message: OrderMessage, reason: str, kind: str, report: BatchReport) -> bool:
        try:
            await self._dead_letters.dead_letter(message, reason)
        except DeadLetterUnavailable:
            await self._retry(message, report)
            return False
        await message.term()
        report.dead_lettered[kind] = report.dead_lettered.get(kind, 0) + 1
        return True

    async def _retry(self, message: OrderMessage, report: BatchReport) -> None:
        report.retried += 1
        await message.nak(retry_delay(message.delivery_attempt))


@dataclass
class PreparedBatch:
    """Valid orders in waves of distinct uids (a uid's repeats go to later waves), and the invalid."""

    waves: list[Wave]
    invalid: list[tuple[OrderMessage, str]]


def _sort(messages: Sequence[OrderMessage]) -> PreparedBatch:
    waves: list[Wave] = []
    invalid: list[tuple[OrderMessage, str]] = []
    for message in messages:
        try:
            order = serialize(parse_order(message.data))
        except InvalidOrder as error:
            invalid.append((message, error.reason))
            continue
        for wave in waves:  # almost always the first; a repeated uid goes one wave later
            if order.uid not in wave:
                break
        else:
            wave = {}
            waves.append(wave)
        wave[order.uid] = (message, order)
    return PreparedBatch(waves, invalid)

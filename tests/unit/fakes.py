"""Hand-written fakes of the ports, plus a polling helper for async tests."""

import asyncio
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.domain.document import SerializedOrder
from app.ports.order_messages import DeadLetterUnavailable
from app.ports.order_repository import OrderNotStorable, SaveOutcome, StorageUnavailable


class FakeOrderRepository:
    """Dict-backed storage; insertion order is storage order.

    ``down = True`` makes save/get_json/ping raise StorageUnavailable; a save waits
    while ``paused`` (an Event) is not set, like one held up in its transaction.
    A batch containing any uid in ``unstorable`` is refused as a whole with
    OrderNotStorable and nothing of it is written, like a rolled-back transaction.
    """

    def __init__(self) -> None:
        self.orders: dict[str, SerializedOrder] = {}
        self.down = False
        self.unstorable: set[str] = set()
        self.calls: Counter[str] = Counter()
        self.saved_batches: list[list[str]] = []
        self.paused: asyncio.Event | None = None

    def preload(self, *orders: SerializedOrder) -> None:
        for order in orders:
            self.orders[order.uid] = order

    def _check_up(self) -> None:
        if self.down:
            raise StorageUnavailable("fake storage is down")

    async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
        self.calls["save"] += 1
        if self.paused is not None:
            await self.paused.wait()
        self._check_up()
        uids = [order.uid for order in orders]
        assert len(set(uids)) == len(uids), f"save() needs distinct uids, got {uids}"
        refused = self.unstorable.intersection(uids)
        if refused:
            raise OrderNotStorable(f"fake storage refuses {sorted(refused)}")
        outcomes = {}
        for order in orders:
            stored = self.orders.get(order.uid)
            if stored is None:
                self.orders[order.uid] = order
                outcomes[order.uid] = SaveOutcome.STORED
            elif stored.json == order.json:
                outcomes[order.uid] = SaveOutcome.DUPLICATE
            else:
                outcomes[order.uid] = SaveOutcome.CONFLICT
        self.saved_batches.append(uids)
        return outcomes

    async def get_json(self, order_uid: str) -> bytes | None:
        self.calls["get_json"] += 1
        self._check_up()
        stored = self.orders.get(order_uid)
        return None if stored is None else stored.json

    async def recent_json(self, limit: int) -> AsyncIterator[tuple[str, bytes]]:
        self.calls["recent_json"] += 1
        self._check_up()
        for order in list(self.orders.values())[-limit:] if limit > 0 else []:
            yield order.uid, order.json

    async def ping(self) -> None:
        self.calls["ping"] += 1
        self._check_up()


class FakeCache:
    """A plain dict; ``puts`` remembers every put in order."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.puts: list[str] = []

    def get(self, order_uid: str) -> bytes | None:
        return self.entries.get(order_uid)

    def put(self, order_uid: str, body: bytes) -> None:
        self.entries[order_uid] = body
        self.puts.append(order_uid)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(eq=False)
class FakeMessage:
    """One delivery; ``calls`` records ("ack",), ("nak", delay), ("term",) in order."""

    data: bytes
    subject: str = "orders.created"
    headers: Mapping[str, str] = field(default_factory=dict)
    stream_sequence: int = 1
    delivery_attempt: int = 1
    calls: list[tuple] = field(default_factory=list)

    async def ack(self) -> None:
        self.calls.append(("ack",))

    async def nak(self, delay: float) -> None:
        self.calls.append(("nak", delay))

    async def term(self) -> None:
        self.calls.append(("term",))

    @property
    def acked(self) -> bool:
        return ("ack",) in self.calls

    @property
    def termed(self) -> bool:
        return ("term",) in self.calls

    @property
    def nak_delays(self) -> list[float]:
        return [call[1] for call in self.calls if call[0] == "nak"]


class FakeDeadLetterSink:
    """Records (message, reason); ``down = True`` raises DeadLetterUnavailable.

    ``calls_seen`` holds, per dead letter, what had been called on the message
    before it was dead-lettered (to check it is terminated only afterwards).
    """

    def __init__(self) -> None:
        self.letters: list[tuple[FakeMessage, str]] = []
        self.calls_seen: list[tuple] = []
        self.down = False

    async def dead_letter(self, message: FakeMessage, reason: str) -> None:
        if self.down:
            raise DeadLetterUnavailable("fake dead-letter stream is down")
        self.letters.append((message, reason))
        self.calls_seen.append(tuple(message.calls))

    def reason_for(self, message: FakeMessage) -> str:
        reasons = [reason for letter, reason in self.letters if letter is message]
        assert len(reasons) == 1, f"expected one dead letter for the message, got {reasons}"
        return reasons[0]


class FakeMessageSource:
    """Hands out queued batches; a queued exception is raised instead.

    When the queue is empty it waits ``timeout`` and returns nothing, like a
    real fetch. ``on_fetch`` (if set) is called at the start of every fetch.
    """

    def __init__(self, batches: Iterable[Sequence[FakeMessage] | Exception] = ()) -> None:
        self.queue: deque = deque(batches)
        self.fetch_calls = 0
        self.empty_fetches = 0
        self.max_messages_seen: list[int] = []
        self.on_fetch: Callable[[], None] | None = None

    async def fetch(self, max_messages: int, timeout: float) -> Sequence[FakeMessage]:
        self.fetch_calls += 1
        self.max_messages_seen.append(max_messages)
        if self.on_fetch is not None:
            self.on_fetch()
        if not self.queue:
            self.empty_fetches += 1
            await asyncio.sleep(timeout)
            return []
        item = self.queue.popleft()
        if isinstance(item, Exception):
            raise item
        return item


async def wait_until(condition: Callable[[], bool], timeout: float = 1.0) -> None:
    """Poll ``condition`` (yielding to the loop) until true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)

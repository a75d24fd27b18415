"""Hand-written fakes of the ports, plus a polling helper for async tests.

Each fake implements its whole Protocol; ``_conforms`` below lets mypy prove it.
"""

import asyncio
import dataclasses
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.domain.announced_uids import announcement_bodies
from app.domain.batch_report import BatchReport
from app.domain.document import SerializedOrder
from app.domain.order_summary import order_summary
from app.ports.dead_letter_archive import ArchiveUnavailable, DeadLetter, DeadLetterArchive, ReplayNotAcknowledged
from app.ports.metrics import HttpTimings, ServiceMetrics
from app.ports.order_announcements import OnAnnounced, OrderAnnouncements, OrderAnnouncer
from app.ports.order_cache import OrderCache
from app.ports.order_feed import FeedListener, FeedNews, OrderFeed
from app.ports.order_messages import DeadLetterSink, DeadLetterUnavailable, OrderMessage, OrderMessageSource
from app.ports.order_publisher import OrderPublisher, PublishFailed
from app.ports.order_repository import OrderNotStorable, OrderRepository, SaveOutcome, StorageUnavailable
from app.ports.service_setup import SchemaMigrator, StreamTopology, StreamUsage


class FakeOrderRepository:
    """Dict-backed storage; insertion order is storage order (ids count from 1).

    ``down = True`` makes every call raise StorageUnavailable; a save waits
    while ``paused`` (an Event) is not set, like one held up in its transaction, and a
    ``get_many`` while ``reads_paused`` is not set (``read_batches`` records its uids).
    A batch containing any uid in ``unstorable`` is refused as a whole with
    OrderNotStorable and nothing of it is written, like a rolled-back transaction;
    one containing a uid of ``failing`` raises that uid's exception, unclassified.
    """

    def __init__(self) -> None:
        self.orders: dict[str, SerializedOrder] = {}
        self.down = False
        self.unstorable: set[str] = set()
        self.failing: dict[str, Exception] = {}
        self.calls: Counter[str] = Counter()
        self.saved_batches: list[list[str]] = []
        self.paused: asyncio.Event | None = None
        self.reads_paused: asyncio.Event | None = None
        self.read_batches: list[list[str]] = []  # the uids of each get_many

    def preload(self, *orders: SerializedOrder) -> None:
        for order in orders:
            self.orders[order.uid] = order

    def _check_up(self, call: str) -> None:
        self.calls[call] += 1
        if self.down:
            raise StorageUnavailable("fake storage is down")

    async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
        if self.paused is not None:
            await self.paused.wait()
        self._check_up("save")
        uids = [order.uid for order in orders]
        assert len(set(uids)) == len(uids), f"save() needs distinct uids, got {uids}"
        refused = self.unstorable.intersection(uids)
        if refused:
            raise OrderNotStorable(f"fake storage refuses {sorted(refused)}")
        for uid in uids:
            if uid in self.failing:
                raise self.failing[uid]
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
        self._check_up("get_json")
        stored = self.orders.get(order_uid)
        return None if stored is None else stored.json

    async def get_many(self, order_uids: Sequence[str]) -> list[SerializedOrder]:
        if self.reads_paused is not None:
            await self.reads_paused.wait()
        self._check_up("get_many")
        self.read_batches.append(list(order_uids))
        wanted = set(order_uids)
        return [order for uid, order in self.orders.items() if uid in wanted]

    async def recent_json(self, limit: int) -> AsyncIterator[tuple[str, bytes]]:
        self._check_up("recent_json")
        for order in list(self.orders.values())[-limit:] if limit > 0 else []:
            yield order.uid, order.json

    async def list_json(
        self,
        limit: int,
        before_id: int | None = None,
        customer_id: str | None = None,
        track_number: str | None = None,
    ) -> list[tuple[int, bytes]]:
        self._check_up("list_json")
        rows = [
            (n, order)
            for n, order in enumerate(self.orders.values(), start=1)
            if (before_id is None or n < before_id)
            and customer_id in (None, order.order.customer_id)
            and track_number in (None, order.order.track_number)
        ]
        return [(n, order.json) for n, order in reversed(rows)][:limit]

    async def count(self) -> int:
        self._check_up("count")
        return len(self.orders)

    async def ping(self) -> None:
        self._check_up("ping")


class FakeCache:
    """A plain dict with the port's counters; ``puts`` remembers every put in order."""

    def __init__(self, max_orders: int = 1000) -> None:
        self.entries: dict[str, bytes] = {}
        self.puts: list[str] = []
        self.max_orders = max_orders
        self.hits = self.misses = self.evictions = 0
        self.settled = 0

    @property
    def hit_ratio(self) -> float:
        return self.hits / (self.hits + self.misses) if self.hits + self.misses else 0.0

    def get(self, order_uid: str) -> bytes | None:
        body = self.entries.get(order_uid)
        if body is None:
            self.misses += 1
        else:
            self.hits += 1
        return body

    def peek(self, order_uid: str) -> bytes | None:
        return self.entries.get(order_uid)

    def record_hit(self, order_uid: str) -> None:
        self.hits += 1

    def put(self, order_uid: str, body: bytes) -> None:
        self.entries[order_uid] = body
        self.puts.append(order_uid)

    def settle(self) -> None:
        self.settled += 1

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(eq=False)
class FakeMessage:
    """One delivery; ``calls`` records ("ack",), ("nak", delay), ("term",) in order.

    ``ack_error``, if set, is raised by ``ack`` (after recording the call)."""

    data: bytes
    subject: str = "orders.created"
    headers: Mapping[str, str] | None = field(default_factory=dict)
    stream_sequence: int = 1
    delivery_attempt: int = 1
    calls: list[tuple[str] | tuple[str, float]] = field(default_factory=list)
    ack_error: Exception | None = None

    async def ack(self) -> None:
        self.calls.append(("ack",))
        if self.ack_error is not None:
            raise self.ack_error

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
        return [call[1] for call in self.calls if len(call) == 2]


class FakeDeadLetterSink:
    """Records (message, reason), and the kind and uid of each in ``kinds``/``uids``;
    ``down = True`` raises DeadLetterUnavailable, ``broken`` (an exception) raises it.

    ``calls_seen`` holds, per dead letter, what had been called on the message
    before it was dead-lettered (to check it is terminated only afterwards).
    """

    def __init__(self) -> None:
        self.letters: list[tuple[OrderMessage, str]] = []
        self.kinds: list[str] = []
        self.uids: list[str | None] = []
        self.calls_seen: list[tuple[object, ...]] = []
        self.down = False
        self.broken: Exception | None = None

    async def dead_letter(self, message: OrderMessage, reason: str, kind: str, order_uid: str | None) -> None:
        if self.down:
            raise DeadLetterUnavailable("fake dead-letter stream is down")
        if self.broken is not None:
            raise self.broken
        self.letters.append((message, reason))
        self.kinds.append(kind)
        self.uids.append(order_uid)
        self.calls_seen.append(tuple(getattr(message, "calls", ())))

    async def count(self) -> int:
        return len(self.letters)

    def reason_for(self, message: OrderMessage) -> str:
        reasons = [reason for letter, reason in self.letters if letter is message]
        assert len(reasons) == 1, f"expected one dead letter for the message, got {reasons}"
        return reasons[0]

    def kind_for(self, message: OrderMessage) -> str:
        kinds = [kind for (letter, _), kind in zip(self.letters, self.kinds, strict=True) if letter is message]
        assert len(kinds) == 1, f"expected one dead letter for the message, got {kinds}"
        return kinds[0]


class FakeDeadLetterArchive:
    """Dead letters by sequence, numbered from 1 as they are added; ``replayed`` records
    (sequence, id) of each replay. ``down = True`` makes every call raise ArchiveUnavailable,
    ``replay_down = True`` every replay raise ReplayNotAcknowledged."""

    def __init__(self) -> None:
        self.stored: dict[int, DeadLetter] = {}
        self.replayed: list[tuple[int, str]] = []
        self.erased = 0  # letters removed with their bytes overwritten
        self.readable: int | None = None  # letters_in fails after this many
        self.down = self.replay_down = False
        self._next = 1

    def add(self, data: bytes, kind: str, reason: str, uid: str | None = None, time: datetime | None = None) -> int:
        sequence, self._next = self._next, self._next + 1
        headers = {"Orders-Error": reason, "Orders-Error-Kind": kind} | ({"Orders-Order-Uid": uid} if uid else {})
        moment = time or datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=sequence)
        self.stored[sequence] = DeadLetter(sequence, moment, kind, reason, uid, 1, headers, data, len(data))
        return sequence

    def _check_up(self) -> None:
        if self.down:
            raise ArchiveUnavailable("fake dead-letter stream is down")

    async def letters(self, since: datetime | None = None, newest: int | None = None) -> AsyncIterator[DeadLetter]:
        self._check_up()
        letters = [letter for letter in self.stored.values() if since is None or letter.time >= since]
        for letter in letters[-newest:] if newest else letters:
            yield dataclasses.replace(letter, data=None)

    async def letters_in(self, sequences: Collection[int]) -> AsyncIterator[DeadLetter]:
        self._check_up()
        for n, sequence in enumerate(sorted(set(sequences))):
            if n == self.readable:
                raise ArchiveUnavailable("fake dead-letter stream went away")
            if sequence in self.stored:
                yield self.stored[sequence]

    async def total(self) -> int:
        self._check_up()
        return len(self.stored)

    async def letter(self, sequence: int) -> DeadLetter | None:
        self._check_up()
        return self.stored.get(sequence)

    async def replay(self, letter: DeadLetter) -> str:
        self._check_up()
        if self.replay_down:
            raise ReplayNotAcknowledged("fake ingest stream is down")
        replay_id = f"replay:fake:{letter.sequence}"
        self.replayed.append((letter.sequence, replay_id))
        return replay_id

    async def remove(self, sequence: int, erase: bool = True) -> bool:
        self._check_up()
        self.erased += erase and sequence in self.stored
        return self.stored.pop(sequence, None) is not None


class FakeMessageSource:
    """Hands out queued batches; a queued exception is raised instead.

    When the queue is empty it waits ``timeout`` (at most ``idle_wait``, if set)
    and returns nothing, like a real fetch. ``on_fetch`` (if set) is called at
    the start of every fetch.
    """

    def __init__(self, batches: Iterable[Sequence[FakeMessage] | Exception] = ()) -> None:
        self.queue: deque[Sequence[FakeMessage] | Exception] = deque(batches)
        self.fetch_calls = 0
        self.empty_fetches = 0
        self.max_messages_seen: list[int] = []
        self.on_fetch: Callable[[], None] | None = None
        self.idle_wait: float | None = None
        self.started = self.stopped = False
        self.connected = True

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def pending(self) -> int:
        return sum(len(item) for item in self.queue if not isinstance(item, Exception))

    async def fetch(self, max_messages: int, timeout: float) -> Sequence[FakeMessage]:
        self.fetch_calls += 1
        self.max_messages_seen.append(max_messages)
        if self.on_fetch is not None:
            self.on_fetch()
        if not self.queue:
            self.empty_fetches += 1
            await asyncio.sleep(timeout if self.idle_wait is None else min(timeout, self.idle_wait))
            return []
        item = self.queue.popleft()
        if isinstance(item, Exception):
            raise item
        return item


class FakePublisher:
    """Records what is published; a repeated msg id is a duplicate; ``down = True`` fails.

    ``deliver_to`` (a FakeMessageSource), if set, receives each new message, as the
    stream would hand it to the consumer."""

    def __init__(self) -> None:
        self.published: list[tuple[bytes, str | None]] = []
        self.down = False
        self.deliver_to: FakeMessageSource | None = None

    async def publish(self, body: bytes, msg_id: str | None) -> bool:
        if self.down:
            raise PublishFailed("fake stream is down")
        duplicate = msg_id is not None and any(seen == msg_id for _, seen in self.published)
        self.published.append((body, msg_id))
        if self.deliver_to is not None and not duplicate:
            self.deliver_to.queue.append([FakeMessage(body, stream_sequence=len(self.published))])
        return not duplicate


class FakeFeedListener:
    """Every announced order's summary, in order, until taken by ``news``."""

    def __init__(self) -> None:
        self.pending: list[dict[str, object]] = []
        self.arrived = asyncio.Event()
        self.closed = False

    async def news(self) -> FeedNews | None:
        await self.arrived.wait()
        if self.closed:
            return None
        self.arrived.clear()
        news, self.pending = FeedNews(len(self.pending), tuple(self.pending)), []
        return news

    def close(self) -> None:
        self.closed = True
        self.arrived.set()


class FakeFeed:
    """Remembers the announced orders and hands them to listeners."""

    def __init__(self) -> None:
        self.announced: list[SerializedOrder] = []
        self._listeners: set[FakeFeedListener] = set()

    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        self.announced.extend(orders)
        for listener in self._listeners:
            listener.pending += [order_summary(order.order) for order in orders]
            listener.arrived.set()

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[FakeFeedListener]:
        listener = FakeFeedListener()
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)


class FakeAnnouncer:
    """Records each announcement (the uids of its orders); ``flushed`` counts the flushes.

    ``deliver_to`` (another instance's FakeAnnouncements), if set, hears each announcement."""

    def __init__(self) -> None:
        self.announced: list[list[str]] = []
        self.flushed = 0
        self.deliver_to: FakeAnnouncements | None = None

    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        self.announced.append([order.uid for order in orders])
        if self.deliver_to is not None:
            self.deliver_to.hear_uids([order.uid for order in orders])

    async def flush(self) -> None:
        self.flushed += 1


class FakeAnnouncements:
    """``hear(body)`` plays an announcement's body to the subscriber, as another instance (or
    anyone) published it; ``hear_uids(uids)`` one as an instance makes them."""

    def __init__(self) -> None:
        self.on_announced: OnAnnounced | None = None
        self.unsubscribed = False

    async def subscribe(self, on_announced: OnAnnounced) -> None:
        self.on_announced = on_announced

    async def unsubscribe(self) -> None:
        self.unsubscribed = True

    def hear(self, body: bytes) -> None:
        if self.on_announced is not None:
            self.on_announced(body)

    def hear_uids(self, order_uids: Sequence[str]) -> None:
        for body in announcement_bodies(order_uids):
            self.hear(body)


class FakeTimings:
    """Counts and summed seconds by (route, method, status)."""

    def __init__(self) -> None:
        self.observed: dict[tuple[str, str, int], tuple[int, float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        count, total = self.observed.get((route, method, status), (0, 0.0))
        self.observed[(route, method, status)] = count + 1, total + seconds

    def count(self, route: str, method: str, status: int) -> int:
        return self.observed.get((route, method, status), (0, 0.0))[0]


class FakeMetrics:
    def __init__(self) -> None:
        self.http = FakeTimings()
        self.batches: list[tuple[BatchReport, int, float]] = []
        self.learned = 0
        self.ignored: Counter[str] = Counter()
        self.pending: int | None = None
        self.readiness: dict[str, bool] = {}
        self.stream_usage: list[StreamUsage] = []

    def record_batch(self, report: BatchReport, size: int, seconds: float) -> None:
        self.batches.append((report, size, seconds))

    def record_learned(self, count: int) -> None:
        self.learned += count

    def record_announced_ignored(self, reason: str, count: int) -> None:
        self.ignored[reason] += count

    def set_consumer_pending(self, count: int) -> None:
        self.pending = count

    def set_stream_usage(self, streams: list[StreamUsage]) -> None:
        self.stream_usage = list(streams)

    def set_readiness(self, checks: Mapping[str, bool]) -> None:
        self.readiness = dict(checks)

    def exposition(self) -> tuple[bytes, str]:
        return f"fake_batches {len(self.batches)}\n".encode(), "text/plain; version=0.0.4"


class FakeMigrator:
    def __init__(self) -> None:
        self.applied = 0
        self.failures_left = 0  # apply() fails this many times first, like a database not up yet

    def apply(self) -> list[str]:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("fake database is not up yet")
        self.applied += 1
        return ["0001_fake"] if self.applied == 1 else []

    def rollback(self, count: int = 1) -> list[str]:
        return ["0001_fake"][:count]


class FakeTopology:
    """``hold`` (an Event), if set, keeps ``ensure`` waiting: the service is not ready meanwhile."""

    def __init__(self) -> None:
        self.ensured = 0
        self.hold: asyncio.Event | None = None
        self.streams = [StreamUsage("ORDERS", 0, 2**30), StreamUsage("ORDERS_DLQ", 0, -1)]

    async def ensure(self) -> None:
        if self.hold is not None:
            await self.hold.wait()
        self.ensured += 1

    async def usage(self) -> list[StreamUsage]:
        return self.streams


def _conforms() -> None:
    """Never called: each assignment is checked by mypy against the port's Protocol."""
    _repository: OrderRepository = FakeOrderRepository()
    _cache: OrderCache = FakeCache()
    _message: OrderMessage = FakeMessage(b"")
    _dead_letters: DeadLetterSink = FakeDeadLetterSink()
    _archive: DeadLetterArchive = FakeDeadLetterArchive()
    _source: OrderMessageSource = FakeMessageSource()
    _publisher: OrderPublisher = FakePublisher()
    _feed: OrderFeed = FakeFeed()
    _listener: FeedListener = FakeFeedListener()
    _announcer: OrderAnnouncer = FakeAnnouncer()
    _announcements: OrderAnnouncements = FakeAnnouncements()
    _timings: HttpTimings = FakeTimings()
    _metrics: ServiceMetrics = FakeMetrics()
    _migrator: SchemaMigrator = FakeMigrator()
    _topology: StreamTopology = FakeTopology()


async def wait_until(condition: Callable[[], bool], timeout: float = 1.0) -> None:
    """Poll ``condition`` (yielding to the loop) until true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)

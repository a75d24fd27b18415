"""StoredElsewhere: what another instance announces is read from our own database, and only that is served."""

import asyncio
import logging

import orjson
import pytest

from app.domain.announced_uids import MAX_UIDS
from app.service_layer.messagebus import HandlerPorts, MessageBus
from app.service_layer.order_arrivals import OrderArrivals
from app.service_layer.stored_elsewhere import MAX_WAITING, READ_AT_MOST, WARN_EVERY, StoredElsewhere
from tests.unit.fakes import FakeAnnouncer, FakeCache, FakeFeed, FakeMetrics, FakeOrderRepository, wait_until
from tests.unit.sample import order_doc, serialized


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Instance:
    """The use case with fakes of everything it touches, through the real message bus."""

    def __init__(self) -> None:
        self.repository = FakeOrderRepository()
        self.cache = FakeCache()
        self.feed = FakeFeed()
        self.arrivals = OrderArrivals()
        self.metrics = FakeMetrics()
        self.clock = Clock()
        self.announcer = FakeAnnouncer()
        bus = MessageBus(HandlerPorts(self.cache, self.feed, self.arrivals, self.announcer, self.metrics))
        self.heard = StoredElsewhere(self.repository, self.metrics, bus.handle, clock=self.clock)


@pytest.fixture
async def instance():
    made = Instance()
    yield made
    await made.heard.close()


def announce(*uids: str) -> bytes:
    return orjson.dumps(list(uids))


async def test_the_orders_announced_are_served_as_stored_here_and_a_uid_not_stored_is_ignored(
    instance: Instance,
) -> None:
    stored = serialized(order_doc("stored-1"))
    instance.repository.preload(stored)
    forged_copy = serialized(order_doc("stored-1", customer_id="forger"))
    assert forged_copy.json != stored.json
    with instance.arrivals.expect("stored-1") as stored_arrival, instance.arrivals.expect("never") as never_arrival:
        instance.heard(announce("stored-1", "never"))
        await wait_until(lambda: instance.metrics.learned == 1)
        assert await stored_arrival.wait(1) == stored.json, "the waiter gets the stored bytes"
        assert await never_arrival.wait(0.05) is None, "nothing arrives for an order never stored"
    assert instance.cache.get("stored-1") == stored.json
    assert instance.cache.get("never") is None
    assert [o.json for o in instance.feed.announced] == [stored.json]
    assert instance.repository.read_batches == [["stored-1", "never"]], "one query for the announcement"
    assert instance.metrics.ignored == {"unknown": 1}


async def test_an_announcement_carrying_documents_puts_nothing_anywhere(instance: Instance) -> None:
    stored = serialized(order_doc("stored-2"))
    instance.repository.preload(stored)
    forged = serialized(order_doc("stored-2", customer_id="forger")).json
    instance.heard(b"[" + forged + b"]")  # the old format, or a forger's
    await asyncio.sleep(0.01)
    assert instance.cache.get("stored-2") is None and instance.feed.announced == []
    assert instance.repository.read_batches == []
    assert instance.metrics.ignored == {"malformed": 1}


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe", b"{}", b'["a",', b"[null]", b"9" * 100_000, announce(*(f"u{n}" for n in range(MAX_UIDS + 1)))],
)
async def test_a_malformed_announcement_is_ignored_counted_and_raises_nothing(
    instance: Instance, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.service_layer.stored_elsewhere"):
        instance.heard(body)
    await asyncio.sleep(0.01)
    assert instance.metrics.ignored == {"malformed": 1}
    assert instance.repository.read_batches == [] and instance.cache.puts == []
    assert all(len(record.getMessage()) < 300 for record in caplog.records), "the body is not logged"


async def test_strings_that_are_not_order_uids_are_not_read(instance: Instance) -> None:
    instance.repository.preload(serialized(order_doc("good-1")))
    instance.heard(announce("good-1", "bad uid", "x" * 65, "'; DROP TABLE orders; --"))
    await wait_until(lambda: instance.metrics.learned == 1)
    assert instance.repository.read_batches == [["good-1"]]
    assert instance.metrics.ignored == {"invalid_uid": 3}


async def test_announcements_heard_during_a_read_wait_and_are_read_together_in_one_query(
    instance: Instance,
) -> None:
    uids = [f"burst-{n}" for n in range(2500)]
    instance.repository.preload(*(serialized(order_doc(uid)) for uid in uids))
    instance.repository.reads_paused = asyncio.Event()
    instance.heard(announce(uids[0]))
    await asyncio.sleep(0.01)  # the first read has started, and waits
    for start in range(1, 2500, 500):
        instance.heard(announce(*uids[start : start + 500]))
    instance.heard(announce(*uids[1:10]))  # waiting already: not read twice
    instance.repository.reads_paused.set()
    await wait_until(lambda: instance.metrics.learned == 2500)
    batches = instance.repository.read_batches
    assert batches[0] == [uids[0]]
    assert [len(batch) for batch in batches[1:]] == [READ_AT_MOST, READ_AT_MOST, 499]
    assert [uid for batch in batches for uid in batch] == uids, "each uid once, in the order heard"
    assert instance.metrics.ignored == {}


async def test_beyond_max_waiting_uids_a_flood_is_dropped_and_counted(instance: Instance) -> None:
    instance.repository.reads_paused = asyncio.Event()
    instance.heard(announce("first"))
    await asyncio.sleep(0.01)
    for n in range(MAX_WAITING // MAX_UIDS + 2):
        instance.heard(announce(*(f"f{n}-{i}" for i in range(MAX_UIDS))))
    assert instance.metrics.ignored == {"backlog": 2 * MAX_UIDS}
    instance.repository.reads_paused.set()
    await wait_until(lambda: instance.metrics.ignored["unknown"] == 1 + MAX_WAITING, timeout=3)
    assert max(len(batch) for batch in instance.repository.read_batches) == READ_AT_MOST


async def test_with_the_database_down_the_uids_are_counted_and_the_next_announcement_is_read(
    instance: Instance,
) -> None:
    stored = serialized(order_doc("later"))
    instance.repository.preload(stored)
    instance.repository.down = True
    instance.heard(announce("later"))
    await wait_until(lambda: instance.metrics.ignored == {"unavailable": 1})
    instance.repository.down = False
    instance.heard(announce("later"))
    await wait_until(lambda: instance.cache.get("later") == stored.json)


async def test_a_flood_of_bad_announcements_warns_once_a_period_with_the_counts(
    instance: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.service_layer.stored_elsewhere"):
        for _ in range(1000):
            instance.heard(b"garbage")
        instance.clock.now += WARN_EVERY
        instance.heard(b"garbage")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "announced orders ignored: 1 malformed (orders_announced_ignored_total)",
        "announced orders ignored: 1000 malformed (orders_announced_ignored_total)",
    ]


async def test_close_ends_a_read_in_progress(instance: Instance) -> None:
    instance.repository.reads_paused = asyncio.Event()
    instance.heard(announce("held"))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(instance.heard.close(), 1)
    instance.repository.reads_paused.set()
    await asyncio.sleep(0.01)
    assert instance.repository.read_batches == [] and instance.metrics.ignored == {}

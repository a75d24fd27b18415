"""IngestOrders: whatever one message does, it alone is dead-lettered or retried; the rest goes on.

Failures nobody classified are retried with a growing delay and dead-lettered at
the ``max_deliveries``-th one; outages never count toward that bound.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from app.domain.document import SerializedOrder
from app.ports.order_repository import SaveOutcome, StorageUnavailable
from app.service_layer.events import OrdersStored
from app.service_layer.ingest_orders import IngestOrders
from tests.unit.fake_container import Fakes, fake_container
from tests.unit.fakes import FakeCache, FakeDeadLetterSink, FakeFeed, FakeMessage, FakeOrderRepository
from tests.unit.sample import order_doc, serialized, to_bytes

pytestmark = pytest.mark.asyncio


@dataclass
class Rig:
    repository: FakeOrderRepository
    cache: FakeCache
    dead_letters: FakeDeadLetterSink
    ingest: IngestOrders


def rig(max_deliveries: int = 5) -> Rig:
    fakes = Fakes(cache=FakeCache())
    assert fakes.cache is not None
    ingest = fake_container(fakes, ingest_max_deliveries=max_deliveries).ingest()
    return Rig(fakes.repository, fakes.cache, fakes.dead_letters, ingest)


def message(uid: str, attempt: int = 1, sequence: int = 1) -> FakeMessage:
    return FakeMessage(to_bytes(order_doc(uid)), delivery_attempt=attempt, stream_sequence=sequence)


class UnreadableBytes(bytes):
    """Bytes that raise when searched, as no real message does: a failure nobody classified."""

    def __contains__(self, item: object) -> bool:
        raise RuntimeError("these bytes cannot be searched")


async def test_a_message_whose_decoding_raises_is_dead_lettered_at_once_and_the_others_stored() -> None:
    r = rig()
    odd = FakeMessage(UnreadableBytes(to_bytes(order_doc("odd"))))
    before, after = message("before"), message("after")

    report = await r.ingest([before, odd, after])

    assert sorted(r.repository.orders) == ["after", "before"]
    assert before.calls == after.calls == [("ack",)]
    assert odd.calls == [("term",)]
    assert r.dead_letters.kind_for(odd) == "unexpected"
    assert r.dead_letters.reason_for(odd) == (
        "unexpected RuntimeError while decoding it: these bytes cannot be searched"
    )
    assert r.dead_letters.uids == ["odd"]  # read from the bytes all the same
    assert report.dead_lettered == {"unexpected": 1} and report.stored == 2


async def test_an_invalid_message_is_dead_lettered_with_its_uid_when_it_has_one() -> None:
    r = rig()
    doc = order_doc("has-a-uid")
    del doc["payment"]
    nameless = FakeMessage(b'{"order_uid": 17}')
    cut_short = FakeMessage(b'{"order_uid": "cut-short", "track_number": "W')
    unprintable = FakeMessage(b'{"order_uid": "a\\nb"}')

    await r.ingest([FakeMessage(to_bytes(doc)), nameless, cut_short, unprintable])

    assert r.dead_letters.kinds == ["invalid"] * 4
    assert r.dead_letters.uids == ["has-a-uid", None, "cut-short", None]


async def test_an_order_whose_save_raises_is_retried_alone_while_the_rest_of_its_batch_is_stored() -> None:
    r = rig()
    r.repository.failing = {"poison": RuntimeError("driver bug")}
    a, poison, b = message("a"), message("poison", sequence=2), message("b", sequence=3)

    report = await r.ingest([a, poison, b])

    assert sorted(r.repository.orders) == ["a", "b"]
    assert a.calls == b.calls == [("ack",)]
    assert poison.calls == [("nak", 0.5)]
    assert r.dead_letters.letters == []
    assert (report.stored, report.failed, report.retried) == (2, 1, 1)


async def test_an_order_that_keeps_failing_is_dead_lettered_at_its_fifth_failure_with_the_last_reason() -> None:
    r = rig()
    r.repository.failing = {"poison": RuntimeError("driver bug")}
    delays = []
    for attempt in range(1, 5):
        delivery = message("poison", attempt=attempt, sequence=7)
        await r.ingest([delivery])
        delays += delivery.nak_delays
    r.repository.failing = {"poison": TypeError("another bug")}
    last = message("poison", attempt=5, sequence=7)

    report = await r.ingest([last])

    assert delays == [0.5, 1.0, 2.0, 4.0]
    assert last.calls == [("term",)]
    assert r.dead_letters.kind_for(last) == "unexpected"
    assert r.dead_letters.reason_for(last) == "unexpected TypeError while storing it: another bug (failed 5 times)"
    assert r.dead_letters.uids == ["poison"]
    assert report.dead_lettered == {"unexpected": 1}
    assert len(r.ingest.failures) == 0, "a dead-lettered message is forgotten"


async def test_outages_between_failures_do_not_count_toward_the_bound() -> None:
    r = rig(max_deliveries=3)
    r.repository.failing = {"poison": RuntimeError("driver bug")}
    attempt = 0

    async def deliver() -> FakeMessage:
        nonlocal attempt
        attempt += 1
        delivery = message("poison", attempt=attempt, sequence=9)
        await r.ingest([delivery])
        return delivery

    await deliver()  # the first unexpected failure
    r.repository.down = True
    for _ in range(20):  # JetStream's delivery count grows; ours does not
        outage = await deliver()
        assert outage.calls[-1][0] == "nak"
    r.repository.down = False
    second = await deliver()
    third = await deliver()

    assert second.delivery_attempt == 22 and second.calls == [("nak", 1.0)]
    assert third.calls == [("term",)]
    assert "(failed 3 times)" in r.dead_letters.reason_for(third)


async def test_storage_going_away_while_saving_one_at_a_time_is_an_outage_not_a_failure() -> None:
    r = rig()

    class GoesAway(FakeOrderRepository):
        async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
            if len(orders) > 1:
                raise RuntimeError("unclassified")
            raise StorageUnavailable("gone")

    r.ingest = IngestOrders(GoesAway(), r.dead_letters)
    messages = [message("a"), message("b", sequence=2)]

    report = await r.ingest(messages)

    assert report.storage_unavailable is True and report.failed == 0
    assert [m.calls for m in messages] == [[("nak", 0.5)], [("nak", 0.5)]]
    assert len(r.ingest.failures) == 0


async def test_with_max_deliveries_one_the_first_unexpected_failure_dead_letters() -> None:
    r = rig(max_deliveries=1)
    r.repository.failing = {"poison": RuntimeError("driver bug")}
    poison = message("poison")

    await r.ingest([poison])

    assert poison.calls == [("term",)]
    assert r.dead_letters.reason_for(poison).endswith("(failed 1 times)")


async def test_a_failed_ack_is_retried_for_that_message_alone() -> None:
    r = rig()
    a, b, c = message("a"), message("b", sequence=2), message("c", sequence=3)
    b.ack_error = ConnectionError("ack lost")

    report = await r.ingest([a, b, c])

    assert sorted(r.repository.orders) == ["a", "b", "c"]  # b is stored: its redelivery is a duplicate
    assert a.calls == c.calls == [("ack",)]
    assert b.calls == [("ack",), ("nak", 0.5)]
    assert (report.stored, report.failed) == (3, 1)


async def test_a_cache_that_raises_holds_back_no_ack_and_no_handler_after_it() -> None:
    """Caching follows the commit (``OrdersStored``): a failing cache can no longer nak an order."""

    class PickyCache(FakeCache):
        def put(self, order_uid: str, body: bytes) -> None:
            if order_uid == "picky":
                raise MemoryError("no room for this one")
            super().put(order_uid, body)

    cache, feed = PickyCache(), FakeFeed()
    container = fake_container(Fakes(cache=cache, feed=feed))
    messages = [message("a"), message("picky", sequence=2), message("b", sequence=3)]

    report = await container.ingest()(messages)
    container.bus().handle(OrdersStored(report, len(messages), 0.0))

    assert cache.puts == ["a"]
    assert [m.calls for m in messages] == [[("ack",)]] * 3
    assert [o.uid for o in feed.announced] == ["a", "picky", "b"]


async def test_a_broken_dead_letter_sink_leaves_the_message_to_a_retry() -> None:
    r = rig()
    r.dead_letters.broken = ValueError("sink bug")
    bad, good = FakeMessage(b"{not json"), message("good", sequence=2)

    report = await r.ingest([bad, good])

    assert good.calls == [("ack",)]
    assert bad.calls == [("nak", 0.5)]
    assert report.failed == 1


async def test_a_store_that_answers_nothing_for_an_order_fails_that_order_alone() -> None:
    r = rig()

    class Forgetful(FakeOrderRepository):
        async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
            outcomes = await super().save(orders)
            outcomes.pop("forgotten", None)
            return outcomes

    repository = Forgetful()
    r.ingest = IngestOrders(repository, r.dead_letters, max_deliveries=1)
    a, forgotten = message("a"), message("forgotten", sequence=2)

    await r.ingest([a, forgotten])

    assert a.calls == [("ack",)] and forgotten.calls == [("term",)]
    assert "the store said nothing of it" in r.dead_letters.reason_for(forgotten)


async def test_a_refused_batch_is_saved_one_at_a_time_with_a_conflict_in_it() -> None:
    r = rig()
    r.repository.preload(serialized(order_doc("taken", customer_id="first")))
    r.repository.unstorable = {"refused"}
    taken = FakeMessage(to_bytes(order_doc("taken", customer_id="second")))
    refused, fine = message("refused", sequence=2), message("fine", sequence=3)

    report = await r.ingest([taken, refused, fine])

    assert fine.calls == [("ack",)]
    assert r.dead_letters.kinds == ["conflict", "unstorable"]
    assert report.dead_lettered == {"conflict": 1, "unstorable": 1}


async def test_an_unclassified_failure_while_storage_does_not_answer_is_an_outage() -> None:
    r = rig()

    class BrokenConnection(FakeOrderRepository):
        """The driver raises something odd on save, and storage does not answer a ping either."""

        async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
            raise RuntimeError("cannot switch to state 15; another operation is in progress")

        async def ping(self) -> None:
            raise StorageUnavailable("connection refused")

    r.ingest = IngestOrders(BrokenConnection(), r.dead_letters, max_deliveries=1)
    messages = [message("a", attempt=3), message("b", sequence=2)]

    report = await r.ingest(messages)

    assert report.storage_unavailable is True and report.failed == 0
    assert [m.calls for m in messages] == [[("nak", 2.0)], [("nak", 0.5)]], "naked as in an outage"
    assert r.dead_letters.letters == [] and len(r.ingest.failures) == 0

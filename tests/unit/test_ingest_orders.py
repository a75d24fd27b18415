"""IngestOrders: one batch of messages to stored and settled (acked / naked / termed), then cached by the bus."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import pytest

from app.domain.batch_report import BatchReport
from app.service_layer.events import OrdersStored
from app.service_layer.ingest_orders import IngestOrders, retry_delay
from app.service_layer.messagebus import MessageBus
from tests.unit.fake_container import Fakes, fake_container
from tests.unit.fakes import FakeCache, FakeDeadLetterSink, FakeMessage, FakeOrderRepository
from tests.unit.sample import order_doc, serialized, to_bytes


@dataclass
class Rig:
    repository: FakeOrderRepository
    cache: FakeCache
    dead_letters: FakeDeadLetterSink
    ingest: IngestOrders
    bus: MessageBus

    async def commit(self, messages: Sequence[FakeMessage]) -> BatchReport:
        """Ingest the batch, then hand its ``OrdersStored`` to the bus, as the ingest loop does."""
        report = await self.ingest(messages)
        self.bus.handle(OrdersStored(report, len(messages), 0.0))
        return report


@pytest.fixture
def rig() -> Rig:
    fakes = Fakes(cache=FakeCache())
    assert fakes.cache is not None
    container = fake_container(fakes)
    return Rig(fakes.repository, fakes.cache, fakes.dead_letters, container.ingest(), container.bus())


def message(doc: object, attempt: int = 1) -> FakeMessage:
    return FakeMessage(to_bytes(doc), delivery_attempt=attempt)


def invalid_doc(uid: str = "broken") -> dict:
    doc = order_doc(uid)
    doc["payment"]["amount"] = "1817"
    return doc


# --- valid orders ---------------------------------------------------------


@pytest.mark.asyncio
async def test_valid_batch_is_stored_in_one_save_cached_and_acked(rig: Rig) -> None:
    docs = [order_doc(f"order-{n}") for n in range(3)]
    messages = [message(doc) for doc in docs]

    report = await rig.commit(messages)

    assert report.stored == 3
    assert (report.duplicates, report.conflicts, report.retried) == (0, 0, 0)
    assert report.dead_lettered == {} and report.storage_unavailable is False
    assert rig.repository.saved_batches == [["order-0", "order-1", "order-2"]]
    assert rig.cache.entries == {doc["order_uid"]: serialized(doc).json for doc in docs}
    assert all(orjson.loads(rig.cache.entries[doc["order_uid"]]) == doc for doc in docs)
    assert [m.calls for m in messages] == [[("ack",)]] * 3
    assert rig.dead_letters.letters == []


@pytest.mark.asyncio
async def test_empty_batch_touches_nothing(rig: Rig) -> None:
    report = await rig.commit([])

    assert report.stored == 0
    assert rig.repository.calls["save"] == 0


# --- invalid messages -----------------------------------------------------


@pytest.mark.asyncio
async def test_invalid_message_is_dead_lettered_then_terminated(rig: Rig) -> None:
    bad = message(invalid_doc())

    report = await rig.commit([bad])

    assert "payment.amount" in rig.dead_letters.reason_for(bad)
    assert rig.dead_letters.calls_seen == [()], "nothing was settled before the dead letter"
    assert bad.calls == [("term",)]
    assert report.dead_lettered == {"invalid": 1}
    assert rig.repository.orders == {} and rig.repository.calls["save"] == 0
    assert len(rig.cache) == 0


@pytest.mark.asyncio
async def test_not_json_message_is_dead_lettered_with_a_json_reason(rig: Rig) -> None:
    bad = FakeMessage(b"{not json")

    await rig.commit([bad])

    assert "not valid JSON" in rig.dead_letters.reason_for(bad)
    assert bad.calls == [("term",)]


@pytest.mark.asyncio
async def test_invalid_message_does_not_hold_back_valid_ones(rig: Rig) -> None:
    good, bad = message(order_doc("good")), message(invalid_doc("bad"))

    report = await rig.commit([bad, good])

    assert list(rig.repository.orders) == ["good"]
    assert good.calls == [("ack",)] and bad.calls == [("term",)]
    assert (report.stored, report.dead_lettered) == (1, {"invalid": 1})


@pytest.mark.asyncio
async def test_batches_stored_together_settle_in_the_order_they_came(rig: Rig) -> None:
    # The first batch's save is held up; the second has nothing to save and would settle at once.
    first_good, first_bad = message(order_doc("first")), message(invalid_doc("first-bad"))
    second_bad = message(invalid_doc("second-bad"))
    rig.repository.paused = asyncio.Event()
    first = asyncio.create_task(rig.ingest.store(rig.ingest.prepare([first_good, first_bad])))
    second = asyncio.create_task(rig.ingest.store(rig.ingest.prepare([second_bad])))
    await asyncio.sleep(0.01)

    assert not second_bad.calls  # waiting for the first batch to settle
    rig.repository.paused.set()
    await asyncio.gather(first, second)

    assert [letter for letter, _ in rig.dead_letters.letters] == [first_bad, second_bad]
    assert first_good.acked and first_bad.termed and second_bad.termed


# --- redelivery and conflicts --------------------------------------------


@pytest.mark.asyncio
async def test_redelivered_identical_order_is_acked_as_duplicate(rig: Rig) -> None:
    doc = order_doc("again")
    await rig.commit([message(doc)])
    redelivered = message(doc, attempt=2)

    report = await rig.commit([redelivered])

    assert (report.stored, report.duplicates) == (0, 1)
    assert redelivered.calls == [("ack",)]
    assert list(rig.repository.orders) == ["again"]
    assert rig.cache.get("again") == serialized(doc).json
    assert rig.dead_letters.letters == []


@pytest.mark.asyncio
async def test_redelivery_of_a_stored_order_refills_an_empty_cache(rig: Rig) -> None:
    doc = order_doc("again")
    rig.repository.preload(serialized(doc))

    await rig.commit([message(doc)])

    assert rig.cache.get("again") == serialized(doc).json


@pytest.mark.asyncio
async def test_same_order_formatted_differently_is_a_duplicate_not_a_conflict(rig: Rig) -> None:
    doc = order_doc("pretty")
    rig.repository.preload(serialized(doc))
    pretty = FakeMessage(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))

    report = await rig.commit([pretty])

    assert (report.duplicates, report.conflicts) == (1, 0)
    assert pretty.calls == [("ack",)]


@pytest.mark.asyncio
async def test_different_content_for_a_stored_uid_is_a_conflict(rig: Rig) -> None:
    first = order_doc("taken", customer_id="first")
    second = order_doc("taken", customer_id="second")
    await rig.commit([message(first)])
    newcomer = message(second)

    report = await rig.commit([newcomer])

    assert rig.repository.orders["taken"].json == serialized(first).json
    assert rig.cache.get("taken") == serialized(first).json
    assert rig.dead_letters.reason_for(newcomer).startswith("conflict")
    assert "taken" in rig.dead_letters.reason_for(newcomer)
    assert newcomer.calls == [("term",)]
    assert (report.stored, report.conflicts, report.dead_lettered) == (0, 1, {"conflict": 1})


@pytest.mark.asyncio
async def test_same_uid_twice_in_one_batch_with_same_content(rig: Rig) -> None:
    doc = order_doc("twice")
    one, two = message(doc), message(doc)

    report = await rig.commit([one, two])

    assert (report.stored, report.duplicates) == (1, 1)
    assert one.calls == [("ack",)] and two.calls == [("ack",)]
    assert list(rig.repository.orders) == ["twice"]
    assert rig.dead_letters.letters == []


@pytest.mark.asyncio
async def test_a_repeat_equal_to_the_stored_version_is_a_duplicate_even_after_a_conflict(rig: Rig) -> None:
    stored = order_doc("kept", customer_id="stored")
    await rig.commit([message(stored)])
    newcomer, again = message(order_doc("kept", customer_id="newcomer")), message(stored)

    report = await rig.commit([newcomer, again])

    assert newcomer.calls == [("term",)]
    assert again.calls == [("ack",)]
    assert (report.conflicts, report.duplicates) == (1, 1)


@pytest.mark.asyncio
async def test_same_uid_twice_in_one_batch_with_different_content(rig: Rig) -> None:
    first = order_doc("twice", customer_id="first")
    one, two = message(first), message(order_doc("twice", customer_id="second"))

    report = await rig.commit([one, two])

    assert rig.repository.orders["twice"].json == serialized(first).json
    assert rig.cache.get("twice") == serialized(first).json
    assert one.calls == [("ack",)]
    assert two.calls == [("term",)]
    assert rig.dead_letters.reason_for(two).startswith("conflict")
    assert (report.stored, report.conflicts) == (1, 1)


# --- storage down ---------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 30.0), (100, 30.0)],
)
def test_retry_delay_doubles_per_attempt_and_is_capped(attempt: int, seconds: float) -> None:
    assert retry_delay(attempt) == seconds


@pytest.mark.asyncio
async def test_storage_down_naks_valid_messages_with_growing_capped_delay(rig: Rig) -> None:
    rig.repository.down = True
    messages = [message(order_doc(f"o{attempt}"), attempt=attempt) for attempt in (1, 2, 3, 10)]

    report = await rig.commit(messages)

    assert [m.calls for m in messages] == [[("nak", 0.5)], [("nak", 1.0)], [("nak", 2.0)], [("nak", 30.0)]]
    assert report.storage_unavailable is True
    assert (report.stored, report.retried) == (0, 4)
    assert rig.dead_letters.letters == []
    assert len(rig.cache) == 0


@pytest.mark.asyncio
async def test_storage_down_still_dead_letters_invalid_messages(rig: Rig) -> None:
    rig.repository.down = True
    good, bad = message(order_doc("good"), attempt=2), message(invalid_doc("bad"))

    report = await rig.commit([good, bad])

    assert good.calls == [("nak", 1.0)]
    assert bad.calls == [("term",)]
    assert "payment.amount" in rig.dead_letters.reason_for(bad)
    assert report.dead_lettered == {"invalid": 1} and report.storage_unavailable is True


@pytest.mark.asyncio
async def test_storage_down_naks_repeats_of_a_uid_too(rig: Rig) -> None:
    rig.repository.down = True
    one, two = message(order_doc("twice")), message(order_doc("twice"), attempt=3)

    report = await rig.commit([one, two])

    assert one.calls == [("nak", 0.5)] and two.calls == [("nak", 2.0)]
    assert report.retried == 2


@pytest.mark.asyncio
async def test_nothing_is_lost_once_storage_is_back(rig: Rig) -> None:
    rig.repository.down = True
    doc = order_doc("later")
    await rig.commit([message(doc)])
    rig.repository.down = False
    redelivered = message(doc, attempt=2)

    report = await rig.commit([redelivered])

    assert report.stored == 1
    assert redelivered.calls == [("ack",)]
    assert rig.cache.get("later") == serialized(doc).json


# --- an order storage refuses ---------------------------------------------


@pytest.mark.asyncio
async def test_unstorable_order_is_dead_lettered_and_the_rest_of_the_batch_stored(rig: Rig) -> None:
    rig.repository.unstorable = {"poison"}
    messages = [message(order_doc(uid)) for uid in ("a", "poison", "b")]
    a, poison, b = messages

    report = await rig.commit(messages)

    assert sorted(rig.repository.orders) == ["a", "b"]
    assert a.calls == [("ack",)] and b.calls == [("ack",)]
    assert poison.calls == [("term",)]
    assert "storage" in rig.dead_letters.reason_for(poison)
    assert rig.cache.get("poison") is None
    assert (report.stored, report.dead_lettered) == (2, {"unstorable": 1})


@pytest.mark.asyncio
async def test_single_unstorable_order_is_dead_lettered(rig: Rig) -> None:
    rig.repository.unstorable = {"poison"}
    poison = message(order_doc("poison"))

    report = await rig.commit([poison])

    assert poison.calls == [("term",)]
    assert "storage" in rig.dead_letters.reason_for(poison)
    assert report.dead_lettered == {"unstorable": 1}


# --- dead-letter stream down ----------------------------------------------


@pytest.mark.asyncio
async def test_invalid_message_is_naked_when_dead_letters_are_unavailable(rig: Rig) -> None:
    rig.dead_letters.down = True
    bad = message(invalid_doc(), attempt=2)

    report = await rig.commit([bad])

    assert bad.calls == [("nak", 1.0)]
    assert report.dead_lettered == {} and report.retried == 1


@pytest.mark.asyncio
async def test_conflict_is_naked_when_dead_letters_are_unavailable(rig: Rig) -> None:
    rig.repository.preload(serialized(order_doc("taken", customer_id="first")))
    rig.dead_letters.down = True
    newcomer = message(order_doc("taken", customer_id="second"))

    await rig.commit([newcomer])

    assert newcomer.calls == [("nak", 0.5)]
    assert rig.repository.orders["taken"].json == serialized(order_doc("taken", customer_id="first")).json

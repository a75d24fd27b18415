"""The message bus: one list says what follows a batch stored here and orders learned from another instance."""

from contextlib import AbstractContextManager, nullcontext

import pytest

from app.domain.batch_report import BatchReport
from app.service_layer.events import OrdersLearned, OrdersStored
from app.service_layer.messagebus import HandlerPorts, MessageBus
from app.service_layer.order_arrivals import OrderArrivals
from tests.unit.fakes import FakeAnnouncer, FakeCache, FakeFeed, FakeMetrics
from tests.unit.sample import order_doc, serialized

pytestmark = pytest.mark.asyncio


class RecordedTrace:
    def __init__(self) -> None:
        self.ended: list[BatchReport] = []

    def current(self) -> AbstractContextManager[None]:
        return nullcontext()

    def end(self, report: BatchReport) -> None:
        self.ended.append(report)


class Parts:
    def __init__(self) -> None:
        self.cache, self.feed, self.arrivals = FakeCache(), FakeFeed(), OrderArrivals()
        self.announcer, self.metrics = FakeAnnouncer(), FakeMetrics()
        self.bus = MessageBus(HandlerPorts(self.cache, self.feed, self.arrivals, self.announcer, self.metrics))


async def test_a_batch_stored_here_is_cached_shown_answered_announced_measured_and_its_trace_ended() -> None:
    parts, trace = Parts(), RecordedTrace()
    new, known = serialized(order_doc("new")), serialized(order_doc("known"))
    report = BatchReport(stored_orders=[new], duplicate_orders=[known])

    with parts.arrivals.expect("new") as arrival:
        parts.bus.handle(OrdersStored(report, 2, 0.5, trace))
        assert await arrival.wait(0) == new.json

    assert parts.cache.entries == {"new": new.json, "known": known.json}, "a redelivery refills the cache"
    assert parts.feed.announced == [new] and parts.announcer.announced == [["new"]]
    assert parts.metrics.batches == [(report, 2, 0.5)] and trace.ended == [report]


async def test_orders_learned_from_another_instance_take_the_same_path_but_are_never_announced_again() -> None:
    parts = Parts()
    learned = serialized(order_doc("learned"))

    with parts.arrivals.expect("learned") as arrival:
        parts.bus.handle(OrdersLearned([learned]))
        assert await arrival.wait(0) == learned.json

    assert parts.cache.entries == {"learned": learned.json} and parts.feed.announced == [learned]
    assert parts.announcer.announced == [] and parts.metrics.learned == 1 and parts.metrics.batches == []

"""IngestLoop: fetch → ingest → settle until stopped; pauses fetching while storage is down."""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from dependency_injector import providers

from app.domain.batch_report import BatchReport
from app.domain.document import SerializedOrder
from app.ports.order_repository import SaveOutcome
from app.service_layer.events import Event, OrdersStored
from app.service_layer.ingest_loop import IngestLoop
from tests.unit.fake_container import Fakes, fake_container
from tests.unit.fakes import (
    FakeCache,
    FakeDeadLetterSink,
    FakeMessage,
    FakeMessageSource,
    FakeOrderRepository,
    wait_until,
)
from tests.unit.sample import order_doc, to_bytes

pytestmark = pytest.mark.asyncio

FETCH_TIMEOUT = 0.01


@dataclass
class Rig:
    source: FakeMessageSource
    repository: FakeOrderRepository = field(default_factory=FakeOrderRepository)
    cache: FakeCache = field(default_factory=FakeCache)
    dead_letters: FakeDeadLetterSink = field(default_factory=FakeDeadLetterSink)
    reports: list[tuple[BatchReport, int]] = field(default_factory=list)
    concurrent_writes: int = 1

    def __post_init__(self) -> None:
        fakes = Fakes(repository=self.repository, source=self.source, dead_letters=self.dead_letters, cache=self.cache)
        container = fake_container(
            fakes,
            ingest_batch_size=7,
            ingest_fetch_seconds=FETCH_TIMEOUT,
            ingest_concurrent_writes=self.concurrent_writes,
        )
        container.bus.override(providers.Object(self))
        self.loop: IngestLoop = container.ingest_loop()

    def handle(self, event: Event) -> None:
        """The bus, as the loop sees it: each batch's ``OrdersStored``."""
        assert isinstance(event, OrdersStored)
        self.reports.append((event.report, event.size))

    async def stop(self, task: asyncio.Task[None]) -> None:
        self.loop.stop()
        await asyncio.wait_for(task, 1.0)


def message(uid: str) -> FakeMessage:
    return FakeMessage(to_bytes(order_doc(uid)))


async def test_processes_queued_batches_then_stops_when_asked() -> None:
    batches = [[message("a"), message("b")], [message("c")]]
    rig = Rig(FakeMessageSource(batches))

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: rig.source.empty_fetches >= 1)
    assert rig.loop.running is True
    await rig.stop(task)

    assert rig.loop.running is False
    assert sorted(rig.repository.orders) == ["a", "b", "c"]
    assert all(m.calls == [("ack",)] for batch in batches for m in batch)
    assert set(rig.source.max_messages_seen) == {7}, "fetches ask for batch_size messages"


async def test_the_bus_receives_each_batch_stored_with_its_size() -> None:
    bad = FakeMessage(b"not json")
    rig = Rig(FakeMessageSource([[message("a"), bad], [message("b")]]))

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: len(rig.reports) == 2)
    await rig.stop(task)

    (first, first_size), (second, second_size) = rig.reports
    assert (first_size, first.stored, first.dead_lettered) == (2, 1, {"invalid": 1})
    assert (second_size, second.stored) == (1, 1)


async def test_idle_loop_does_not_report_empty_fetches() -> None:
    rig = Rig(FakeMessageSource())

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: rig.source.empty_fetches >= 3)
    await rig.stop(task)

    assert rig.reports == []


async def test_batch_in_hand_is_finished_after_a_stop_request() -> None:
    batch = [message("a"), message("b")]
    rig = Rig(FakeMessageSource([batch]))
    rig.source.on_fetch = rig.loop.stop  # stop arrives while the batch is being fetched

    await asyncio.wait_for(rig.loop.run(), 1.0)

    assert [m.calls for m in batch] == [[("ack",)], [("ack",)]]
    assert rig.source.fetch_calls == 1


async def test_fetch_failure_does_not_kill_the_loop() -> None:
    later = message("later")
    rig = Rig(FakeMessageSource([ConnectionError("broker away"), RuntimeError("boom"), [later]]))

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: later.calls == [("ack",)])

    assert not task.done()
    await rig.stop(task)
    assert rig.source.fetch_calls >= 3


async def test_stops_fetching_while_storage_is_down_and_resumes_when_it_is_back() -> None:
    first, second = message("first"), message("second")
    rig = Rig(FakeMessageSource([[first], [second]]))
    rig.repository.down = True

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: first.calls == [("nak", 0.5)])
    assert rig.reports[0][0].storage_unavailable is True
    await wait_until(lambda: rig.repository.calls["ping"] >= 1)  # first probe fails

    assert rig.loop.storage_down is True
    fetched = rig.source.fetch_calls  # the next batch may already be in hand (fetched while writing)
    await asyncio.sleep(0.3)
    assert rig.source.fetch_calls == fetched, "no fetching while storage is down"
    assert second.calls == []

    rig.repository.down = False
    await wait_until(lambda: second.calls == [("ack",)], timeout=2.0)

    assert rig.loop.storage_down is False
    assert list(rig.repository.orders) == ["second"]
    await rig.stop(task)


async def test_stop_interrupts_the_wait_for_storage() -> None:
    rig = Rig(FakeMessageSource([[message("a")]]))
    rig.repository.down = True

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: rig.repository.calls["ping"] >= 1)  # now in a 0.4 s pause
    started = time.monotonic()
    await rig.stop(task)

    assert time.monotonic() - started < 0.2
    assert rig.loop.running is False


class SlowRepository(FakeOrderRepository):
    """Saves wait for ``release`` so a test can see what happens meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.saving = 0

    async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
        self.saving += 1
        await self.release.wait()
        return await super().save(orders)


async def test_the_next_batch_is_fetched_while_the_previous_one_is_written_and_writes_keep_order() -> None:
    first, second, third = [message("a")], [message("b")], [message("c")]
    repository = SlowRepository()
    rig = Rig(FakeMessageSource([first, second, third]), repository=repository)

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: repository.saving == 1 and rig.source.fetch_calls >= 2)

    assert repository.saving == 1, "one batch is written at a time"
    assert first[0].calls == [] and second[0].calls == []
    repository.release.set()
    await wait_until(lambda: third[0].calls == [("ack",)])
    await rig.stop(task)
    assert list(rig.repository.orders) == ["a", "b", "c"]


async def test_with_two_concurrent_writes_a_third_batch_waits_for_one_of_them() -> None:
    batches = [[message(uid)] for uid in "abc"]
    repository = SlowRepository()
    rig = Rig(FakeMessageSource(batches), repository=repository, concurrent_writes=2)

    task = asyncio.create_task(rig.loop.run())
    await wait_until(lambda: repository.saving == 2 and rig.source.fetch_calls >= 3)
    await asyncio.sleep(0.05)

    assert repository.saving == 2, "the third batch waits for a free writer"
    repository.release.set()
    await wait_until(lambda: all(batch[0].calls == [("ack",)] for batch in batches))
    await rig.stop(task)
    assert sorted(repository.orders) == ["a", "b", "c"]

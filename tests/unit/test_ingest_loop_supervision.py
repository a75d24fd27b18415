"""IngestLoop: nothing stops it for good, and ``consuming`` says when it is not taking messages."""

import asyncio
import logging
from collections.abc import Iterator, Mapping, Sequence

import pytest

from app.service_layer.events import Event, OrdersStored
from app.service_layer.ingest_loop import IngestLoop
from app.service_layer.messagebus import EVENT_HANDLERS, Handler, HandlerPorts, MessageBus, measure_batch
from tests.unit.fake_container import Fakes, fake_container
from tests.unit.fakes import FakeMessage, FakeMessageSource, FakeMetrics, FakeOrderRepository, wait_until
from tests.unit.sample import order_doc, to_bytes

pytestmark = pytest.mark.asyncio
Handlers = Mapping[type[Event], Sequence[Handler]]


class UnreadableBatch(list[FakeMessage]):
    """A batch the loop cannot even go through, as no real source returns: something escapes."""

    def __iter__(self) -> Iterator[FakeMessage]:
        raise RuntimeError("this batch cannot be read")


def loop_over(fakes: Fakes, handlers: Handlers = EVENT_HANDLERS, restart_delay: float = 0.05) -> IngestLoop:
    """The loop as the container wires it, with a short first pause before a restart."""
    container = fake_container(fakes, ingest_fetch_seconds=0.01)
    return IngestLoop(
        fakes.source,
        container.ingest(),
        fakes.repository,
        container.batch_tracer(),
        MessageBus(container.handler_ports(), handlers).handle,
        fetch_timeout=0.01,
        restart_delay=restart_delay,
    )


def message(uid: str) -> FakeMessage:
    return FakeMessage(to_bytes(order_doc(uid)))


async def test_a_failure_that_escapes_is_logged_and_the_loop_starts_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    later = message("later")
    fakes = Fakes(source=FakeMessageSource([UnreadableBatch([message("x")]), [later]]))
    loop = loop_over(fakes)
    seen_down = []
    fakes.source.on_fetch = lambda: seen_down.append(loop.running)

    with caplog.at_level(logging.ERROR, logger="app.service_layer.ingest_loop"):
        task = asyncio.create_task(loop.run())
        await wait_until(lambda: later.acked)

    assert loop.restarts == 1 and not task.done() and loop.running and loop.consuming
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "the ingest loop failed; starting it again" in record.getMessage()
    assert record.exc_info is not None and "this batch cannot be read" in str(record.exc_info[1])
    loop.stop()
    await asyncio.wait_for(task, 1.0)
    assert loop.running is False


async def test_while_it_waits_to_start_again_it_is_not_running_and_a_stop_ends_the_wait() -> None:
    fakes = Fakes(source=FakeMessageSource([UnreadableBatch([message("x")])]))
    loop = loop_over(fakes, restart_delay=10)

    task = asyncio.create_task(loop.run())
    await wait_until(lambda: loop.restarts == 1)

    assert loop.running is False and loop.consuming is False
    loop.stop()
    await asyncio.wait_for(task, 1.0)


async def test_consuming_is_false_while_fetches_fail_and_true_once_one_succeeds() -> None:
    errors: list[Sequence[FakeMessage] | Exception] = [ConnectionError("no consumer")] * 3
    later = message("later")
    fakes = Fakes(source=FakeMessageSource([*errors, [later]]))
    loop = loop_over(fakes)
    states: list[bool] = []
    fakes.source.on_fetch = lambda: states.append(loop.consuming)

    task = asyncio.create_task(loop.run())
    await wait_until(lambda: later.acked)
    await wait_until(lambda: loop.consuming)

    assert states[:4] == [True, False, False, False], "failing from the first failed fetch to the next good one"
    assert loop.running and not loop.fetch_failing
    loop.stop()
    await asyncio.wait_for(task, 1.0)


async def test_a_failing_handler_stops_neither_ingest_nor_the_handlers_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: OrdersStored, ports: HandlerPorts) -> None:
        raise ValueError("metrics bug")

    first, second = message("first"), message("second")
    metrics = FakeMetrics()
    fakes = Fakes(source=FakeMessageSource([[first], [second]]), metrics=metrics)
    loop = loop_over(fakes, handlers={**EVENT_HANDLERS, OrdersStored: [broken, measure_batch]})

    with caplog.at_level(logging.ERROR):
        task = asyncio.create_task(loop.run())
        await wait_until(lambda: second.acked)
    loop.stop()
    await asyncio.wait_for(task, 1.0)

    assert loop.restarts == 0 and len(metrics.batches) == 2
    assert any("broken after OrdersStored failed" in r.getMessage() for r in caplog.records)


class ProbeBreaks(FakeOrderRepository):
    """Down at first; its first probe raises something unclassified, the next ones answer."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.pings = 0

    async def ping(self) -> None:
        self.pings += 1
        if self.pings == 1:
            raise OSError("probe bug")
        self.down = False


async def test_a_storage_probe_that_raises_is_retried_like_one_that_fails() -> None:
    first, later = message("first"), message("later")
    repository = ProbeBreaks()
    fakes = Fakes(repository=repository, source=FakeMessageSource([[first]]))
    loop = loop_over(fakes)

    task = asyncio.create_task(loop.run())
    await wait_until(lambda: repository.pings == 2, timeout=3)
    fakes.source.queue.append([later])
    await wait_until(lambda: later.acked)
    loop.stop()
    await asyncio.wait_for(task, 1.0)

    assert first.calls == [("nak", 0.5)]
    assert loop.storage_down is False and loop.restarts == 0

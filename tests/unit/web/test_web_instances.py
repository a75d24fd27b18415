"""One instance among several: it announces what it stores, and uses what the others announce."""

import asyncio
import time

import orjson

from app.entrypoints.container import Container
from tests.unit.fake_container import Fakes
from tests.unit.fakes import FakeMessage, wait_until
from tests.unit.sample import order_doc, serialized, to_bytes
from tests.unit.web.conftest import Client

JSON = {"Content-Type": "application/json"}


async def next_event(response, kind: bytes) -> dict:
    event = b""
    while b"event: " + kind + b"\r\n" not in event:
        event = await asyncio.wait_for(response.content.readuntil(b"\r\n\r\n"), 5)
    data = next(line for line in event.split(b"\r\n") if line.startswith(b"data: "))
    return orjson.loads(data.removeprefix(b"data: "))


async def test_the_orders_this_instance_stores_are_announced_after_the_commit(client: Client, fakes: Fakes) -> None:
    fakes.source.queue.append([FakeMessage(to_bytes(order_doc(uid))) for uid in ("mine-1", "mine-2")])
    await wait_until(lambda: fakes.announcer.announced != [])
    assert fakes.announcer.announced == [["mine-1", "mine-2"]]
    assert set(fakes.repository.orders) == {"mine-1", "mine-2"}, "announced once stored"


async def test_an_order_another_instance_stored_is_read_here_once_and_served_from_the_cache(
    client: Client, fakes: Fakes, container: Container
) -> None:
    theirs = serialized(order_doc("theirs"))
    fakes.repository.preload(theirs)  # the other instance's commit
    fakes.announcements.hear_uids(["theirs"])
    await wait_until(lambda: container.cache().get("theirs") is not None)
    response = await client.get("/api/orders/theirs")
    assert response.status == 200 and await response.read() == theirs.json
    assert fakes.repository.calls["get_many"] == 1
    assert fakes.repository.calls["get_json"] == 0, "the cache answered"


async def test_a_forged_announcement_changes_nothing_that_is_served(client: Client, fakes: Fakes) -> None:
    stored = serialized(order_doc("stored"))
    fakes.repository.preload(stored)
    altered = serialized(order_doc("stored", customer_id="forger"))
    never = serialized(order_doc("never-stored"))
    fakes.announcements.hear(b"[" + altered.json + b"," + never.json + b"]")  # documents, as announced before
    fakes.announcements.hear_uids(["never-stored"])  # a uid that was never stored
    await wait_until(lambda: fakes.repository.calls["get_many"] == 1)
    metrics = await (await client.get("/metrics")).text()
    assert 'orders_announced_ignored_total{reason="malformed"} 1.0' in metrics
    assert 'orders_announced_ignored_total{reason="unknown"} 1.0' in metrics
    response = await client.get("/api/orders/stored")
    assert response.status == 200 and await response.read() == stored.json
    assert (await client.get("/api/orders/never-stored")).status == 404
    assert (await client.get("/orders/never-stored")).status == 404


async def test_a_waiting_submission_is_answered_when_another_instance_stores_it(
    client: Client, fakes: Fakes, container: Container
) -> None:
    fakes.publisher.deliver_to = None  # this instance does not ingest it: another one does
    order = serialized(order_doc("elsewhere"))
    started = time.perf_counter()
    posting = asyncio.ensure_future(
        client.post("/api/orders?wait=5", data=to_bytes(order_doc("elsewhere")), headers=JSON)
    )
    await wait_until(lambda: len(container.arrivals()) == 1 and fakes.publisher.published != [], timeout=2)
    fakes.repository.preload(order)  # the other instance's commit
    fakes.announcements.hear_uids([order.uid])  # and its announcement
    response = await posting
    assert response.status == 201 and await response.read() == order.json
    assert time.perf_counter() - started < 1.0, "woken by the announcement, not by the end of the wait"


async def test_the_live_feed_shows_the_orders_other_instances_store(client: Client, fakes: Fakes) -> None:
    async with client.get("/events") as response:
        await next_event(response, b"stats")
        fakes.repository.preload(serialized(order_doc("seen-elsewhere")))
        fakes.announcements.hear_uids(["seen-elsewhere"])
        assert (await next_event(response, b"order"))["order_uid"] == "seen-elsewhere"


async def test_a_burst_reaches_the_page_as_its_count_and_the_latest_orders(client: Client, fakes: Fakes) -> None:
    burst = [serialized(order_doc(f"burst-{n}")) for n in range(1, 1001)]
    async with client.get("/events") as response:
        await next_event(response, b"stats")
        fakes.repository.preload(*burst)
        fakes.announcements.hear_uids([order.uid for order in burst])
        news = await next_event(response, b"orders")
    assert news["count"] == 1000
    assert [o["order_uid"] for o in news["latest"]] == [f"burst-{n}" for n in range(981, 1001)]


async def test_the_service_stops_listening_and_flushes_its_announcements_on_shutdown(
    container: Container, fakes: Fakes, starting_client: Client
) -> None:
    await wait_until(container.service().is_ready)
    assert fakes.announcements.on_announced is not None
    await container.service().stop()
    assert fakes.announcements.unsubscribed and fakes.announcer.flushed == 1

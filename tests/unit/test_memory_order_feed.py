"""The live feed: every listener hears every order, a burst as one piece of news with its count."""

import asyncio

from app.adapters.memory_order_feed import KEEP, MemoryOrderFeed
from tests.unit.sample import order_doc, serialized

ORDERS = [serialized(order_doc(f"feed-{n}")) for n in range(1, 1001)]


async def test_a_burst_is_one_piece_of_news_with_its_count_and_the_latest_orders() -> None:
    feed = MemoryOrderFeed()
    async with feed.listen() as listener:
        feed.announce(ORDERS)  # a batch of 1,000, as ingest stores them
        news = await asyncio.wait_for(listener.news(), 1)
    assert news is not None and news.count == 1000 and not news.complete
    assert [s["order_uid"] for s in news.latest] == [f"feed-{n}" for n in range(1001 - KEEP, 1001)]


async def test_a_slow_listener_loses_no_count_and_keeps_the_newest() -> None:
    feed = MemoryOrderFeed(keep=3)
    async with feed.listen() as slow, feed.listen() as quick:
        for n in range(10):
            feed.announce(ORDERS[n * 7 : (n + 1) * 7])
            quick_news = await asyncio.wait_for(quick.news(), 1)
            assert quick_news is not None and quick_news.count == 7
        news = await asyncio.wait_for(slow.news(), 1)
    assert news is not None and news.count == 70
    assert [s["order_uid"] for s in news.latest] == ["feed-68", "feed-69", "feed-70"]


async def test_a_few_orders_come_complete_and_news_waits_for_the_next() -> None:
    feed = MemoryOrderFeed()
    async with feed.listen() as listener:
        feed.announce(ORDERS[:2])
        news = await asyncio.wait_for(listener.news(), 1)
        assert news is not None and news.complete and news.count == 2
        waiting = asyncio.ensure_future(listener.news())
        await asyncio.sleep(0.01)
        assert not waiting.done(), "nothing new yet"
        feed.announce(ORDERS[2:3])
        later = await asyncio.wait_for(waiting, 1)
    assert later is not None and [s["order_uid"] for s in later.latest] == ["feed-3"]


async def test_a_closed_listener_gets_no_more_news() -> None:
    feed = MemoryOrderFeed()
    async with feed.listen() as listener:
        waiting = asyncio.ensure_future(listener.news())
        await asyncio.sleep(0)
        listener.close()
        assert await asyncio.wait_for(waiting, 1) is None
        feed.announce(ORDERS[:1])
        assert await asyncio.wait_for(listener.news(), 1) is None

"""Read side: OrderLookup (cache-aside) and WarmUpCache."""

import pytest

from app.ports.order_repository import StorageUnavailable
from app.service_layer.order_lookup import OrderLookup, WarmUpCache
from tests.unit.fake_container import Fakes, fake_container
from tests.unit.fakes import FakeCache, FakeOrderRepository
from tests.unit.sample import order_doc, serialized

pytestmark = pytest.mark.asyncio


def built_lookup(cache: FakeCache, repository: FakeOrderRepository) -> OrderLookup:
    lookup: OrderLookup = fake_container(Fakes(repository=repository, cache=cache)).lookup()
    return lookup


def built_warm_up(cache: FakeCache, repository: FakeOrderRepository, limit: int) -> WarmUpCache:
    container = fake_container(Fakes(repository=repository, cache=cache), cache_max_orders=limit)
    warm_up: WarmUpCache = container.warm_up()
    return warm_up


@pytest.fixture
def repository() -> FakeOrderRepository:
    return FakeOrderRepository()


@pytest.fixture
def cache() -> FakeCache:
    return FakeCache()


async def test_cache_hit_is_served_without_touching_storage(cache: FakeCache, repository: FakeOrderRepository) -> None:
    repository.preload(serialized(order_doc("hot")))
    cache.put("hot", b'{"from":"cache"}')
    lookup = built_lookup(cache, repository)

    assert await lookup("hot") == b'{"from":"cache"}'
    assert sum(repository.calls.values()) == 0


async def test_cache_miss_reads_through_and_fills_the_cache(cache: FakeCache, repository: FakeOrderRepository) -> None:
    stored = serialized(order_doc("cold"))
    repository.preload(stored)
    lookup = built_lookup(cache, repository)

    assert await lookup("cold") == stored.json
    assert cache.get("cold") == stored.json
    assert await lookup("cold") == stored.json
    assert repository.calls["get_json"] == 1, "the second read is a cache hit"


async def test_unknown_order_is_none_and_nothing_is_cached(cache: FakeCache, repository: FakeOrderRepository) -> None:
    lookup = built_lookup(cache, repository)

    assert await lookup("nobody") is None
    assert len(cache) == 0 and cache.puts == []
    assert repository.calls["get_json"] == 1


async def test_miss_while_storage_is_down_raises_storage_unavailable(
    cache: FakeCache,
    repository: FakeOrderRepository,
) -> None:
    repository.down = True
    cache.put("hot", b"{}")
    lookup = built_lookup(cache, repository)

    assert await lookup("hot") == b"{}", "hits still work"
    with pytest.raises(StorageUnavailable):
        await lookup("cold")


async def test_warm_up_loads_the_most_recent_orders_oldest_first(
    cache: FakeCache,
    repository: FakeOrderRepository,
) -> None:
    stored = [serialized(order_doc(f"o{n}")) for n in range(1, 6)]
    repository.preload(*stored)

    count = await built_warm_up(cache, repository, limit=3)()

    assert count == 3
    assert cache.puts == ["o3", "o4", "o5"]
    assert cache.entries == {order.uid: order.json for order in stored[2:]}


async def test_warm_up_with_fewer_orders_than_the_limit_loads_them_all(
    cache: FakeCache,
    repository: FakeOrderRepository,
) -> None:
    repository.preload(serialized(order_doc("only")))

    assert await built_warm_up(cache, repository, limit=100)() == 1
    assert cache.puts == ["only"]


async def test_warm_up_of_an_empty_store_loads_nothing(cache: FakeCache, repository: FakeOrderRepository) -> None:
    assert await built_warm_up(cache, repository, limit=10)() == 0
    assert len(cache) == 0

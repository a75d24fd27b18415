"""The in-memory LRU cache: eviction order, recorded hits, counters."""

import pytest

from app.adapters.memory_order_cache import MemoryOrderCache


def filled(max_orders: int, *uids: str) -> MemoryOrderCache:
    cache = MemoryOrderCache(max_orders)
    for uid in uids:
        cache.put(uid, uid.encode())
    return cache


def held(cache: MemoryOrderCache, *uids: str) -> list[str]:
    return [uid for uid in uids if cache.peek(uid) is not None]


def test_a_full_cache_evicts_the_least_recently_used() -> None:
    cache = filled(3, "a", "b", "c")
    assert cache.get("a") == b"a"

    cache.put("d", b"d")

    assert held(cache, "a", "b", "c", "d") == ["a", "c", "d"]
    assert cache.evictions == 1 and len(cache) == 3


def test_peek_then_record_hit_refreshes_like_get() -> None:
    cache = filled(2, "a", "b")
    assert cache.peek("a") == b"a"
    cache.record_hit("a")

    cache.put("c", b"c")

    assert held(cache, "a", "b", "c") == ["a", "c"]
    assert (cache.hits, cache.misses) == (1, 0)


def test_hits_recorded_in_any_order_are_applied_in_that_order() -> None:
    cache = filled(3, "a", "b", "c")
    for uid in ("c", "a", "b", "a"):
        cache.record_hit(uid)
    cache.settle()

    cache.put("d", b"d")  # the least recent is now c, then b
    cache.put("e", b"e")

    assert held(cache, "a", "b", "c", "d", "e") == ["a", "d", "e"]
    assert cache.hits == 4


def test_peek_counts_nothing_and_refreshes_nothing() -> None:
    cache = filled(2, "a", "b")
    assert cache.peek("a") == b"a"
    assert cache.peek("zzz") is None

    cache.put("c", b"c")

    assert held(cache, "a", "b", "c") == ["b", "c"]
    assert (cache.hits, cache.misses, cache.hit_ratio) == (0, 0, 0.0)


def test_counters_include_hits_not_yet_settled() -> None:
    cache = filled(10, "a", "b")
    cache.get("a")
    cache.get("b")
    cache.get("nope")
    assert (cache.hits, cache.misses) == (2, 1)
    assert cache.hit_ratio == pytest.approx(2 / 3)

    cache.settle()
    cache.settle()
    assert (cache.hits, cache.misses) == (2, 1)


def test_putting_an_order_again_replaces_it_and_makes_it_the_most_recent() -> None:
    cache = filled(2, "a", "b")
    cache.put("a", b"new")
    cache.put("c", b"c")
    assert held(cache, "a", "b", "c") == ["a", "c"]
    assert cache.peek("a") == b"new"


def test_a_cache_must_hold_at_least_one_order() -> None:
    with pytest.raises(ValueError):
        MemoryOrderCache(0)

"""Use cases on the read side: find an order's JSON, warm the cache."""

from app.ports.order_cache import OrderCache
from app.ports.order_repository import OrderRepository


class OrderLookup:
    """Cache-aside reads: the cache first, then storage, filling the cache."""

    def __init__(self, cache: OrderCache, repository: OrderRepository) -> None:
        self._cache = cache
        self._repository = repository
        self.cached = cache.get  # a plain call, no coroutine; counts the hit or the miss

    async def load(self, order_uid: str) -> bytes | None:
        """Read through to storage; may raise StorageUnavailable."""
        body = await self._repository.get_json(order_uid)
        if body is not None:
            self._cache.put(order_uid, body)
        return body

    async def __call__(self, order_uid: str) -> bytes | None:
        return self.cached(order_uid) or await self.load(order_uid)


class WarmUpCache:
    """Fill the cache with the most recently stored orders, oldest first."""

    def __init__(self, cache: OrderCache, repository: OrderRepository, limit: int) -> None:
        self._cache = cache
        self._repository = repository
        self._limit = limit

    async def __call__(self) -> int:
        count = 0
        async for order_uid, body in self._repository.recent_json(self._limit):
            self._cache.put(order_uid, body)
            count += 1
        return count

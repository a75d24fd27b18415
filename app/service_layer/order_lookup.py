"""Use cases on the read side: find an order's JSON, list orders, warm the cache."""

from dataclasses import dataclass

from app.ports.order_cache import OrderCache
from app.ports.order_repository import OrderRepository, StorageUnavailable


class OrderLookup:
    """Cache-aside reads: the cache first, then storage, filling the cache."""

    def __init__(self, cache: OrderCache, repository: OrderRepository) -> None:
        self._cache = cache
        self._repository = repository

    async def __call__(self, order_uid: str) -> bytes | None:
        """The order's JSON, None when it is not stored; may raise StorageUnavailable."""
        return self._cache.get(order_uid) or await self.load(order_uid)

    async def load(self, order_uid: str) -> bytes | None:
        """Read through to storage (the cache is known to miss); may raise StorageUnavailable."""
        body = await self._repository.get_json(order_uid)
        if body is not None:
            self._cache.put(order_uid, body)
        return body

    async def stored_version(self, order_uid: str) -> bytes | None:
        """As ``__call__``, but None as well when storage cannot be reached."""
        try:
            return await self(order_uid)
        except StorageUnavailable:
            return None


@dataclass(frozen=True)
class OrderPage:
    """A page of orders, newest first, and the id to list below for the next one (None: last page)."""

    orders: list[tuple[int, bytes]]
    next_before_id: int | None


class ListOrders:
    """Stored orders, newest first, a page at a time (keyset pagination by storage id)."""

    def __init__(self, repository: OrderRepository) -> None:
        self._repository = repository

    async def __call__(
        self,
        limit: int,
        before_id: int | None = None,
        customer_id: str | None = None,
        track_number: str | None = None,
    ) -> OrderPage:
        """May raise StorageUnavailable, or OrderNotStorable for filter values storage refuses."""
        rows = await self._repository.list_json(limit + 1, before_id, customer_id, track_number)
        page = rows[:limit]
        return OrderPage(page, page[-1][0] if len(rows) > limit else None)


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

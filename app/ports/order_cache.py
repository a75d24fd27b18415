"""The in-memory cache of order JSON that lookups read first."""

from typing import Protocol


class OrderCache(Protocol):
    """A bounded cache of orders' JSON by ``order_uid``, least recently used out first;
    how it counts and evicts is the adapter's business."""

    @property
    def max_orders(self) -> int: ...

    @property
    def hits(self) -> int: ...

    @property
    def misses(self) -> int: ...

    @property
    def evictions(self) -> int: ...

    @property
    def hit_ratio(self) -> float:
        """Hits over lookups so far; 0.0 before the first lookup."""

    def get(self, order_uid: str) -> bytes | None:
        """Look, counting the hit or the miss."""

    def put(self, order_uid: str, body: bytes) -> None: ...

    def __len__(self) -> int: ...

"""The in-memory cache of order JSON that lookups read first."""

from typing import Protocol


class OrderCache(Protocol):
    """A bounded cache of orders' JSON by ``order_uid``, least recently used out first.

    A hit on the hot path is two calls, ``peek`` then ``record_hit``; its recency
    is applied later, by ``settle``, which the service calls several times a second.
    """

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

    def peek(self, order_uid: str) -> bytes | None:
        """Look without counting anything or refreshing recency."""

    def record_hit(self, order_uid: str) -> None:
        """Count a hit on an order ``peek`` has just found."""

    def put(self, order_uid: str, body: bytes) -> None: ...

    def settle(self) -> None:
        """Apply the recorded hits to the recency order."""

    def __len__(self) -> int: ...

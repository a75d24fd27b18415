"""In-process LRU cache of order JSON bytes, bounded by a number of orders."""

from collections import OrderedDict


class MemoryOrderCache:
    """Least-recently-used cache; ``get`` and ``put`` are O(1) and never block."""

    def __init__(self, max_orders: int) -> None:
        if max_orders < 1:
            raise ValueError("max_orders must be at least 1")
        self.max_orders = max_orders
        self._orders: OrderedDict[str, bytes] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def get(self, order_uid: str) -> bytes | None:
        body = self._orders.get(order_uid)
        if body is None:
            self.misses += 1
            return None
        self._orders.move_to_end(order_uid)
        self.hits += 1
        return body

    def peek(self, order_uid: str) -> bytes | None:
        """Look without counting a hit or a miss or refreshing recency (for polling)."""
        return self._orders.get(order_uid)

    def put(self, order_uid: str, body: bytes) -> None:
        self._orders[order_uid] = body
        self._orders.move_to_end(order_uid)
        if len(self._orders) > self.max_orders:
            self._orders.popitem(last=False)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._orders)

    @property
    def hit_ratio(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

"""OrderCache in this process: an LRU of order JSON bytes, bounded by a number of orders."""

from collections import OrderedDict, deque


class MemoryOrderCache:
    """Least-recently-used cache; every operation is O(1) (amortized) and never blocks.

    A hit is recorded, not applied at once (as Caffeine does with its read
    buffers): its uid is appended to a list, and the recency order catches up
    with that list, in one pass that runs in C, before the next ``put`` and on
    ``settle``. Evictions, which only ``put`` makes, so see the exact LRU order.
    This keeps a cached lookup to two C calls, ``peek`` and ``record_hit``,
    without a Python frame (``docs/performance.md``).
    """

    def __init__(self, max_orders: int) -> None:
        if max_orders < 1:
            raise ValueError("max_orders must be at least 1")
        self._max_orders = max_orders
        self._orders: OrderedDict[str, bytes] = OrderedDict()
        self._recorded_hits: list[str] = []  # uids hit since the last settle, oldest first
        self._settled_hits = 0
        self._misses = 0
        self._evictions = 0
        # peek and record_hit (the hot path's: web/kept_answers.py), as the C methods themselves.
        self.peek = self._orders.get
        self.record_hit = self._recorded_hits.append

    @property
    def max_orders(self) -> int:
        return self._max_orders

    @property
    def hits(self) -> int:
        return self._settled_hits + len(self._recorded_hits)

    @property
    def misses(self) -> int:
        return self._misses

    @property
    def evictions(self) -> int:
        return self._evictions

    @property
    def hit_ratio(self) -> float:
        lookups = self.hits + self._misses
        return self.hits / lookups if lookups else 0.0

    def get(self, order_uid: str) -> bytes | None:
        body = self._orders.get(order_uid)
        if body is None:
            self._misses += 1
        else:
            self._recorded_hits.append(order_uid)
        return body

    def put(self, order_uid: str, body: bytes) -> None:
        if self._recorded_hits:
            self.settle()
        orders = self._orders
        orders[order_uid] = body
        orders.move_to_end(order_uid)
        if len(orders) > self._max_orders:
            orders.popitem(last=False)
            self._evictions += 1

    def settle(self) -> None:
        recorded = self._recorded_hits
        if recorded:
            deque(map(self._orders.move_to_end, recorded), maxlen=0)  # consumed in C: itertools' recipe
            self._settled_hits += len(recorded)
            recorded.clear()

    def __len__(self) -> int:
        return len(self._orders)

"""Waiting for an order to be stored: what ``POST /api/orders?wait=N`` needs."""

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class OrderArrivals:
    """Wakes whoever waits for an order_uid once that order is stored.

    Every order the service learns is stored (by its own ingest, or announced by
    another instance) passes through ``arrived``; a waiter registers first, with
    ``expect``, so an order stored a moment later cannot slip past it.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, list[asyncio.Future[bytes]]] = {}

    @contextmanager
    def expect(self, order_uid: str) -> Iterator["Arrival"]:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(order_uid, []).append(future)
        try:
            yield Arrival(future)
        finally:
            waiters = self._waiting.get(order_uid, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._waiting.pop(order_uid, None)

    def arrived(self, orders: Iterable[tuple[str, bytes]]) -> None:
        """These (order_uid, JSON) pairs are stored now."""
        if not self._waiting:
            return
        for order_uid, body in orders:
            for future in self._waiting.pop(order_uid, ()):
                if not future.done():
                    future.set_result(body)

    def __len__(self) -> int:
        """How many order_uids are waited for."""
        return len(self._waiting)


class Arrival:
    """One expected order."""

    def __init__(self, future: "asyncio.Future[bytes]") -> None:
        self._future = future

    async def wait(self, seconds: float) -> bytes | None:
        """Its JSON once stored, or None after ``seconds``."""
        done, _ = await asyncio.wait([self._future], timeout=seconds)
        return self._future.result() if done else None

"""Reads from a read replica first, the primary when the replica cannot say.

A stored order never changes, so what a lagging replica returns is right; only its
"not stored" may be out of date, so a lookup it misses is asked of the primary again.
Listings and the warm-up take the replica's view as it is. When the replica fails,
reads go to the primary and the replica is tried again after ``pause`` seconds.
"""

import time
from collections.abc import AsyncIterator, Callable, Sequence

from app.domain.document import SerializedOrder
from app.ports.order_repository import OrderRepository, SaveOutcome, StorageUnavailable


class ReplicaFirstReads:
    """An OrderRepository that writes, counts and pings on ``primary`` and reads ``replica`` first."""

    def __init__(
        self,
        primary: OrderRepository,
        replica: OrderRepository,
        pause: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._replica = replica
        self._pause = pause
        self._clock = clock
        self._replica_back_at = 0.0  # the replica is skipped until then, after a failure

    async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
        return await self._primary.save(orders)

    async def get_json(self, order_uid: str) -> bytes | None:
        body = await self._from_replica(order_uid)
        return body if body is not None else await self._primary.get_json(order_uid)

    async def get_many(self, order_uids: Sequence[str]) -> list[SerializedOrder]:
        """From the primary: asked right after another instance's commit, which a replica may lack."""
        return await self._primary.get_many(order_uids)

    async def recent_json(self, limit: int) -> AsyncIterator[tuple[str, bytes]]:
        """From the replica; from the primary if the replica fails before its first order."""
        source = self._primary if self._skipping() else self._replica
        yielded = False
        try:
            async for pair in source.recent_json(limit):
                yielded = True
                yield pair
            return
        except StorageUnavailable:
            if source is self._primary:
                raise
            self._failed()  # a warm-up started again (the service retries it) reads the primary
            if yielded:
                raise
        async for pair in self._primary.recent_json(limit):
            yield pair

    async def list_json(
        self,
        limit: int,
        before_id: int | None = None,
        customer_id: str | None = None,
        track_number: str | None = None,
    ) -> list[tuple[int, bytes]]:
        args = (limit, before_id, customer_id, track_number)
        if not self._skipping():
            try:
                return await self._replica.list_json(*args)
            except StorageUnavailable:
                self._failed()
        return await self._primary.list_json(*args)

    async def count(self) -> int:
        return await self._primary.count()

    async def ping(self) -> None:
        await self._primary.ping()

    async def _from_replica(self, order_uid: str) -> bytes | None:
        """The replica's answer; None as well when it is skipped or fails."""
        if self._skipping():
            return None
        try:
            return await self._replica.get_json(order_uid)
        except StorageUnavailable:
            self._failed()
            return None

    def _skipping(self) -> bool:
        return self._clock() < self._replica_back_at

    def _failed(self) -> None:
        self._replica_back_at = self._clock() + self._pause

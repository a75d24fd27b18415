"""What the use cases need from durable order storage."""

from collections.abc import AsyncIterator, Sequence
from enum import Enum
from typing import Protocol

from app.domain.document import SerializedOrder


class SaveOutcome(Enum):
    """What happened to one order of a saved batch."""

    STORED = "stored"  # new, now committed
    DUPLICATE = "duplicate"  # already stored with the same content
    CONFLICT = "conflict"  # already stored with different content; first version kept


class StorageUnavailable(Exception):
    """The store cannot be reached or timed out: a transient failure, retry later."""


class OrderNotStorable(Exception):
    """The store refused this batch for its content, not for being down."""


class OrderRepository(Protocol):
    async def save(self, orders: Sequence[SerializedOrder]) -> dict[str, SaveOutcome]:
        """Store the batch in one transaction; orders must have distinct uids."""

    async def get_json(self, order_uid: str) -> bytes | None:
        """The order's JSON document, or None when it is not stored."""

    async def get_many(self, order_uids: Sequence[str]) -> list[SerializedOrder]:
        """Those of these orders that are stored, in storage order, as the API serves them; one query.

        Asked right after another instance's commit (its announcement): a reader that lags the
        primary (a replica) would miss them, costing cache misses and late ``?wait`` answers."""

    def recent_json(self, limit: int) -> AsyncIterator[tuple[str, bytes]]:
        """The ``limit`` most recently stored orders, oldest of them first."""

    async def list_json(
        self,
        limit: int,
        before_id: int | None = None,
        customer_id: str | None = None,
        track_number: str | None = None,
    ) -> list[tuple[int, bytes]]:
        """Up to ``limit`` orders stored before ``before_id``, newest first, as (id, JSON) pairs.

        ``id`` is the storage sequence number (higher is newer); the filters are exact matches.
        """

    async def count(self) -> int:
        """How many orders are stored."""

    async def ping(self) -> None:
        """Return when the store answers; raise StorageUnavailable otherwise."""

"""What the use cases need from the in-memory cache of order JSON."""

from typing import Protocol


class OrderCache(Protocol):
    def get(self, order_uid: str) -> bytes | None: ...

    def peek(self, order_uid: str) -> bytes | None: ...  # counts nothing, refreshes nothing

    def put(self, order_uid: str, body: bytes) -> None: ...

    def __len__(self) -> int: ...

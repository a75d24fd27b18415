"""What the service sets up on its servers before it takes traffic."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StreamUsage:
    """What a stream holds against its size limit (``max_bytes`` -1: none)."""

    stream: str
    bytes: int
    max_bytes: int


class SchemaMigrator(Protocol):
    """The database schema's migrations (blocking calls: run them in a thread)."""

    def apply(self) -> list[str]:
        """Apply every pending migration; the ids applied."""

    def rollback(self, count: int = 1) -> list[str]:
        """Roll back the ``count`` most recently applied migrations; their ids."""


class StreamTopology(Protocol):
    async def ensure(self) -> None:
        """Create the streams and the consumer the service needs, or bring them up to date."""

    async def usage(self) -> list[StreamUsage]:
        """What each of the service's streams holds against its size limit."""

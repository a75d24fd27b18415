"""What the service sets up on its servers before it takes traffic."""

from typing import Protocol


class SchemaMigrator(Protocol):
    """The database schema's migrations (blocking calls: run them in a thread)."""

    def apply(self) -> list[str]:
        """Apply every pending migration; the ids applied."""

    def rollback(self, count: int = 1) -> list[str]:
        """Roll back the ``count`` most recently applied migrations; their ids."""


class StreamTopology(Protocol):
    async def ensure(self) -> None:
        """Create the streams and the consumer the service needs, or bring them up to date."""

"""Where newly stored orders are announced (for live views)."""

from collections.abc import Sequence
from typing import Protocol

from app.domain.document import SerializedOrder


class OrderFeed(Protocol):
    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        """Tell current listeners about orders just stored; never blocks."""

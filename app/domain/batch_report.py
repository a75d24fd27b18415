"""What one ingested batch came to: the words the ports and the handlers after a commit share."""

from dataclasses import dataclass, field

from app.domain.document import SerializedOrder


@dataclass
class BatchReport:
    """What one batch came to; the caller turns it into metrics and pacing."""

    stored_orders: list[SerializedOrder] = field(default_factory=list)  # newly stored, in order
    duplicate_orders: list[SerializedOrder] = field(default_factory=list)  # stored before, same content
    conflicts: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)  # by kind of reason
    retried: int = 0
    failed: int = 0  # unexpected failures retried (they are among ``retried`` too)
    storage_unavailable: bool = False

    @property
    def stored(self) -> int:
        return len(self.stored_orders)

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_orders)

"""Incoming order messages, where they come from, and where bad ones go."""

from collections.abc import Mapping, Sequence
from typing import Protocol


class OrderMessage(Protocol):
    """One delivery of a message from the order stream."""

    data: bytes
    subject: str
    headers: Mapping[str, str] | None
    stream_sequence: int
    delivery_attempt: int

    async def ack(self) -> None: ...

    async def nak(self, delay: float) -> None: ...

    async def term(self) -> None: ...


class OrderMessageSource(Protocol):
    async def fetch(self, max_messages: int, timeout: float) -> Sequence[OrderMessage]:
        """Up to ``max_messages``; empty when none arrived within ``timeout``."""


class DeadLetterUnavailable(Exception):
    """The dead-letter publish was not acknowledged; the message must be retried."""


class DeadLetterSink(Protocol):
    async def dead_letter(self, message: OrderMessage, reason: str) -> None:
        """Return once the dead letter is durably stored, else raise DeadLetterUnavailable."""

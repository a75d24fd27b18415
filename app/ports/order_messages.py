"""Incoming order messages, where they come from, and where bad ones go."""

from collections.abc import Mapping, Sequence
from typing import Protocol


class OrderMessage(Protocol):
    """One delivery of a message from the order stream."""

    @property
    def data(self) -> bytes: ...

    @property
    def subject(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str] | None: ...

    @property
    def stream_sequence(self) -> int: ...

    @property
    def delivery_attempt(self) -> int: ...

    async def ack(self) -> None: ...

    async def nak(self, delay: float) -> None: ...

    async def term(self) -> None: ...


class OrderMessageSource(Protocol):
    """The durable consumer the service ingests from."""

    async def start(self) -> None:
        """Bind to the consumer; fetching works only after this."""

    async def fetch(self, max_messages: int, timeout: float) -> Sequence[OrderMessage]:
        """Up to ``max_messages``; empty when none arrived within ``timeout``."""

    async def pending(self) -> int:
        """Messages in the stream not yet delivered to the consumer."""

    @property
    def connected(self) -> bool:
        """Whether the connection to the broker is up right now."""

    async def stop(self) -> None: ...


class DeadLetterUnavailable(Exception):
    """The dead-letter publish was not acknowledged; the message must be retried."""


class DeadLetterSink(Protocol):
    async def dead_letter(self, message: OrderMessage, reason: str, kind: str, order_uid: str | None) -> None:
        """Return once the dead letter is durably stored, else raise DeadLetterUnavailable.

        ``kind`` is one of ``app.domain.rejections.REASON_KINDS``; ``order_uid`` the
        message's order_uid when it has a readable one."""

    async def count(self) -> int:
        """How many dead letters are stored."""

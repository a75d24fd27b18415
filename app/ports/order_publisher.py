"""What producers need to publish orders to the stream."""

from typing import Protocol


class PublishFailed(Exception):
    """The stream did not acknowledge the publish."""


class MessageTooLarge(Exception):
    """The order, with the headers it is published with, is larger than the stream takes.

    ``limit``: the most bytes an order may have to be published (with the same headers)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the order is {size} bytes; at most {limit} can be published")
        self.size = size
        self.limit = limit


class OrderPublisher(Protocol):
    async def publish(self, body: bytes, msg_id: str | None) -> bool:
        """Publish one order; True if stored, False if the stream saw the id already.

        Raises PublishFailed (not acknowledged: retry) or MessageTooLarge (never fits)."""

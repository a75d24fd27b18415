"""What producers need to publish orders to the stream."""

from typing import Protocol


class PublishFailed(Exception):
    """The stream did not acknowledge the publish."""


class OrderPublisher(Protocol):
    async def publish(self, body: bytes, msg_id: str | None) -> bool:
        """Publish one order; True if stored, False if the stream saw the id already."""

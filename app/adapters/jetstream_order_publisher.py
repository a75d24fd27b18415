"""OrderPublisher over NATS JetStream (nats-py)."""

import asyncio
from collections.abc import Callable, Mapping

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS

from app.adapters.nats_message_size import fits, header_size
from app.ports.order_publisher import MessageTooLarge, PublishFailed

MSG_ID_HEADER = "Nats-Msg-Id"


class JetStreamOrderPublisher:
    """Publishes order bytes to a JetStream subject and waits for the stream's ack.

    ``msg_id`` goes into the ``Nats-Msg-Id`` header, so the stream drops a
    re-send of the same id within its duplicate window and says so in the ack.
    ``context_headers``, if given, is asked for more headers at each publish (the
    trace context of the publishing span). A message that would be over the
    server's ``max_payload`` with its headers is refused here (MessageTooLarge),
    never sent: the server would close the connection (``nats_message_size.py``).
    """

    def __init__(
        self,
        nc: NATS,
        subject: str = "orders.new",
        timeout: float = 5.0,
        context_headers: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._subject = subject
        self._timeout = timeout
        self._context_headers = context_headers

    async def publish(self, body: bytes, msg_id: str | None) -> bool:
        """Publish one message; True if stored, False if the stream saw ``msg_id`` already.

        Raises PublishFailed when the stream did not acknowledge (timeout, no
        stream on the subject, closed connection, JetStream API error),
        MessageTooLarge when it cannot fit, and ValueError for a ``msg_id`` that
        cannot be a header value.
        """
        headers = dict(self._context_headers()) if self._context_headers is not None else {}
        if msg_id:
            if "\r" in msg_id or "\n" in msg_id:
                raise ValueError(f"msg_id must not contain line breaks: {msg_id!r}")
            headers[MSG_ID_HEADER] = msg_id
        max_payload, sent_headers = self._nc.max_payload, headers or None
        if not fits(body, sent_headers, max_payload):  # the server would close the connection over it
            raise MessageTooLarge(len(body), max(max_payload - header_size(sent_headers), 0))
        try:
            ack = await self._js.publish(self._subject, body, timeout=self._timeout, headers=sent_headers)
        except (TimeoutError, nats.errors.Error) as error:
            # nats.errors.Error covers TimeoutError, NoRespondersError,
            # ConnectionClosedError and every nats.js.errors.* (NoStreamResponseError, APIError...).
            raise PublishFailed(f"publish to {self._subject!r} failed: {_describe(error)}") from error
        return not ack.duplicate


def _describe(error: BaseException) -> str:
    if isinstance(error, nats.js.errors.NoStreamResponseError):
        return "no stream listens on the subject"
    if isinstance(error, asyncio.TimeoutError):
        return "no acknowledgement in time"
    return str(error) or type(error).__name__

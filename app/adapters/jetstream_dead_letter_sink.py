"""DeadLetterSink publishing to the ``ORDERS_DLQ`` JetStream stream.

The dead letter keeps the original bytes and headers and adds the reason
(``Orders-Error``), the original stream sequence and subject. Its
``Nats-Msg-Id`` is derived from the original's sequence and bytes, so
publishing it again after a crash stores it only once. Each dead letter is
logged once, as a WARNING with its order_uid (when the message names one),
stream sequence and reason, once the stream has it.
"""

import hashlib
import logging

import nats.errors
import nats.js.errors
import orjson
from nats.js import JetStreamContext

from app.ports.order_messages import DeadLetterUnavailable, OrderMessage

ERROR_HEADER = "Orders-Error"
SEQUENCE_HEADER = "Orders-Stream-Sequence"
SUBJECT_HEADER = "Orders-Subject"
ORIGINAL_ID_HEADER = "Orders-Original-Msg-Id"
log = logging.getLogger(__name__)


class JetStreamDeadLetterSink:
    """Publishes a failed message with its reason and waits for the stream's ack."""

    def __init__(
        self, js: JetStreamContext, stream: str, subject: str, source_stream: str, timeout: float = 5.0
    ) -> None:
        self._js = js
        self._stream = stream
        self._subject = subject
        self._source_stream = source_stream
        self._timeout = timeout

    async def count(self) -> int:
        return (await self._js.stream_info(self._stream)).state.messages

    async def dead_letter(self, message: OrderMessage, reason: str) -> None:
        original = message.headers or {}
        headers = {k: v for k, v in original.items() if not k.startswith("Nats-")}
        if "Nats-Msg-Id" in original:
            headers[ORIGINAL_ID_HEADER] = original["Nats-Msg-Id"]
        headers[ERROR_HEADER] = _one_line(reason)
        headers[SEQUENCE_HEADER] = str(message.stream_sequence)
        headers[SUBJECT_HEADER] = message.subject
        # Same message again (after a crash) → same id → stored once; the digest keeps a
        # recreated stream's reused sequence numbers from passing for duplicates.
        digest = hashlib.blake2b(message.data, digest_size=8).hexdigest()
        headers["Nats-Msg-Id"] = f"{self._source_stream}:{message.stream_sequence}:{digest}"
        try:
            await self._js.publish(self._subject, message.data, timeout=self._timeout, headers=headers)
        except (nats.errors.Error, nats.js.errors.Error, TimeoutError) as error:
            raise DeadLetterUnavailable(str(error) or type(error).__name__) from error
        uid = _order_uid(message.data) or original.get("Nats-Msg-Id")
        context = {"order_uid": uid, "stream_sequence": message.stream_sequence, "reason": headers[ERROR_HEADER]}
        log.warning("dead-lettered message %d (order_uid %s)", message.stream_sequence, uid, extra=context)


def _order_uid(data: bytes) -> str | None:
    """The order_uid a message's body names, if it is a JSON object with a string one."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    uid = body.get("order_uid") if isinstance(body, dict) else None
    return uid[:64] if isinstance(uid, str) else None


def _one_line(text: str, limit: int = 4000) -> str:
    """Header values cannot hold line breaks and should stay modest in size."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

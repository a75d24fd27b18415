"""DeadLetterSink publishing to the ``ORDERS_DLQ`` JetStream stream.

The dead letter keeps the original bytes and headers and adds ``Orders-*``
headers: the reason (``Orders-Error``) and its kind, the order_uid when there is
a readable one, the original stream sequence and subject, and how many times
JetStream had delivered the message. Its ``Nats-Msg-Id`` is derived from the
original's sequence and bytes, so publishing it again after a crash stores it
only once. Each dead letter is logged once, as a WARNING with its order_uid
(when there is one), stream sequence and reason, once the stream has it.

A dead letter always fits (``jetstream_dead_letter_fit.py``): when the original with the
added headers would be over the server's ``max_payload`` or JetStream's header
limit, the original's own headers are left out as needed and the bytes are cut to
what fits, and ``Orders-Truncated`` says what was left out; the original stays in
its stream at ``Orders-Stream-Sequence`` until the stream's limits remove it. A
dead-letter stream with a smaller ``max_msg_size`` of its own gets letters cut to that.
"""

import hashlib
import logging

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS

from app.adapters.jetstream_dead_letter_fit import TRUNCATED_HEADER, Letter, fitted
from app.ports.order_messages import DeadLetterUnavailable, OrderMessage

ERROR_HEADER = "Orders-Error"
KIND_HEADER = "Orders-Error-Kind"
UID_HEADER = "Orders-Order-Uid"
SEQUENCE_HEADER = "Orders-Stream-Sequence"
SUBJECT_HEADER = "Orders-Subject"
DELIVERIES_HEADER = "Orders-Deliveries"
ORIGINAL_ID_HEADER = "Orders-Original-Msg-Id"
MESSAGE_OVER_STREAM_LIMIT = 10054  # JetStream: message size exceeds maximum allowed (the stream's max_msg_size)
log = logging.getLogger(__name__)
# What a dead letter adds to the original's headers (a replay takes them off again).
DEAD_LETTER_HEADERS = frozenset(
    (
        ERROR_HEADER,
        KIND_HEADER,
        UID_HEADER,
        SEQUENCE_HEADER,
        SUBJECT_HEADER,
        DELIVERIES_HEADER,
        ORIGINAL_ID_HEADER,
        TRUNCATED_HEADER,
    )
)


class JetStreamDeadLetterSink:
    """Publishes a failed message with its reason and waits for the stream's ack."""

    def __init__(self, nc: NATS, stream: str, subject: str, source_stream: str, timeout: float = 5.0) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._stream = stream
        self._subject = subject
        self._source_stream = source_stream
        self._timeout = timeout

    async def count(self) -> int:
        return (await self._js.stream_info(self._stream)).state.messages

    async def dead_letter(self, message: OrderMessage, reason: str, kind: str, order_uid: str | None) -> None:
        original = message.headers or {}
        added = {ERROR_HEADER: header_value(reason), KIND_HEADER: kind}
        if order_uid:
            added[UID_HEADER] = header_value(order_uid, 200)
        added[SEQUENCE_HEADER] = str(message.stream_sequence)
        added[SUBJECT_HEADER] = header_value(message.subject, 1000)
        added[DELIVERIES_HEADER] = str(message.delivery_attempt)
        if "Nats-Msg-Id" in original:
            added[ORIGINAL_ID_HEADER] = header_value(original["Nats-Msg-Id"], 1000)
        # Same message again (after a crash) → same id → stored once; the digest keeps a
        # recreated stream's reused sequence numbers from passing for duplicates.
        digest = hashlib.blake2b(message.data, digest_size=8).hexdigest()
        added["Nats-Msg-Id"] = f"{self._source_stream}:{message.stream_sequence}:{digest}"
        kept = {k: v for k, v in original.items() if not k.startswith("Nats-") and k not in DEAD_LETTER_HEADERS}
        letter = fitted(message.data, kept, added, self._nc.max_payload)
        try:
            try:
                await self._publish(letter)
            except nats.js.errors.BadRequestError as error:
                if error.err_code != MESSAGE_OVER_STREAM_LIMIT:
                    raise
                # The dead-letter stream has a max_msg_size of its own, smaller than max_payload.
                letter = fitted(message.data, kept, added, min(self._nc.max_payload, await self._max_msg_size(error)))
                await self._publish(letter)
        except nats.js.errors.BadRequestError as error:  # a refusal: trying again the same way will not help
            log.warning(
                "the dead-letter stream refused message %d: %s; it is retried",
                message.stream_sequence,
                error.description or error,
                extra={"stream_sequence": message.stream_sequence, "order_uid": order_uid},
            )
            raise DeadLetterUnavailable(str(error)) from error
        except (nats.errors.Error, nats.js.errors.Error, TimeoutError) as error:
            raise DeadLetterUnavailable(str(error) or type(error).__name__) from error
        context = {"order_uid": order_uid, "stream_sequence": message.stream_sequence, "reason": added[ERROR_HEADER]}
        sequence, cut = message.stream_sequence, letter.headers.get(TRUNCATED_HEADER)
        if cut is None:
            log.warning("dead-lettered message %d (order_uid %s)", sequence, order_uid, extra=context)
        else:
            log.warning(
                "dead-lettered message %d (order_uid %s), cut to fit: %s", sequence, order_uid, cut, extra=context
            )

    async def _publish(self, letter: Letter) -> None:
        await self._js.publish(self._subject, letter.data, timeout=self._timeout, headers=letter.headers)

    async def _max_msg_size(self, refusal: Exception) -> int:
        limit = (await self._js.stream_info(self._stream)).config.max_msg_size
        if limit is None or limit < 0:
            raise refusal
        return limit


def header_value(text: str, limit: int = 4000) -> str:
    """Header values cannot hold line breaks, must encode as UTF-8 and should stay modest in size."""
    flat = " ".join(text.encode("utf-8", "replace").decode("utf-8").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

"""The body of an announcement of stored orders: a JSON array of their order_uids, nothing else.

An instance tells the others *which* orders it stored, never their content: a
receiver reads them from its own database (``stored_elsewhere``), so whoever
can publish on the subject can make it read, never make it serve something.
A batch is split so that no body holds more than ``MAX_UIDS`` uids; a receiver
takes no body larger than ``MAX_BODY`` (every uid at its longest).
"""

import re
from collections.abc import Iterator, Sequence
from typing import Annotated

import msgspec

from app.domain.model import ORDER_UID_PATTERN

MAX_UIDS = 1000  # per announcement
MAX_BODY = 2 + MAX_UIDS * (64 + 3)  # the brackets, then each uid at its longest, quoted, with its comma
VALID_UID = re.compile(ORDER_UID_PATTERN)
# Why announced uids are ignored: a message not an announcement (counts 1), a string not an
# order_uid, an order not stored here, too many waiting already, the database not answering.
IGNORED_REASONS = ("malformed", "invalid_uid", "unknown", "backlog", "unavailable")
_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Annotated[list[str], msgspec.Meta(max_length=MAX_UIDS)])


class NotAnAnnouncement(ValueError):
    """The body is not a JSON array of at most ``MAX_UIDS`` strings, or is larger than ``MAX_BODY``."""


def announcement_bodies(order_uids: Sequence[str], max_bytes: int = MAX_BODY) -> Iterator[bytes]:
    """``["uid","uid",...]`` bodies of at most ``MAX_UIDS`` uids and ``max_bytes`` each, the uids in their order.

    ``max_bytes``: what the server takes in one message (its ``max_payload`` less the headers)."""
    per_body = max(1, min(MAX_UIDS, (max_bytes - 2) // (64 + 3)))
    for start in range(0, len(order_uids), per_body):
        yield _ENCODER.encode(order_uids[start : start + per_body])


def announced_uids(body: bytes) -> tuple[list[str], int]:
    """The well-formed order_uids of one announcement, and how many others it held (ignored).

    Raises ``NotAnAnnouncement`` for a body that is not one at all."""
    if len(body) > MAX_BODY:
        raise NotAnAnnouncement(f"{len(body)} bytes, more than {MAX_BODY}")
    try:
        uids = _DECODER.decode(body)
    except msgspec.DecodeError as error:  # a ValidationError too: not a list of strings, or too long
        raise NotAnAnnouncement(str(error)) from None
    valid = [uid for uid in uids if VALID_UID.fullmatch(uid)]
    return valid, len(uids) - len(valid)

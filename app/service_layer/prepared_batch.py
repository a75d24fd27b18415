"""The CPU part of ingesting a batch: each message validated and serialized, or refused.

Orders are sorted into waves of distinct uids (a uid's repeats go to later
waves, saved after the first), so that one save never holds a uid twice.
Whatever a message raises here refuses it alone: decoding, validating and
serializing read its bytes and nothing else, so they would fail again.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from app.domain.document import SerializedOrder, serialize
from app.domain.rejections import INVALID, UNEXPECTED, uid_in, unexpected_reason
from app.domain.validation import InvalidOrder, parse_order
from app.ports.order_messages import OrderMessage

log = logging.getLogger(__name__)
Wave = dict[str, tuple[OrderMessage, SerializedOrder]]  # distinct uids, in arrival order


class Refusal(NamedTuple):
    """A message dead-lettered before storage: why, and its order_uid when it has one."""

    message: OrderMessage
    kind: str
    reason: str
    uid: str | None


@dataclass
class PreparedBatch:
    """Valid orders in waves of distinct uids (a uid's repeats go to later waves), and the refused."""

    waves: list[Wave]
    refused: list[Refusal]


def prepare(messages: Sequence[OrderMessage]) -> PreparedBatch:
    """The batch's valid orders in waves, and its refused messages with their reasons."""
    waves: list[Wave] = []
    refused: list[Refusal] = []
    for message in messages:
        try:
            order = serialize(parse_order(message.data))
        except InvalidOrder as error:
            refused.append(Refusal(message, INVALID, error.reason, uid_in(message.data)))
            continue
        except Exception as error:  # these steps read the bytes alone: it would fail again
            log.error("message dead-lettered: %s", unexpected_reason("decoding it", error), exc_info=error)
            refused.append(Refusal(message, UNEXPECTED, unexpected_reason("decoding it", error), uid_in(message.data)))
            continue
        for wave in waves:  # almost always the first; a repeated uid goes one wave later
            if order.uid not in wave:
                break
        else:
            wave = {}
            waves.append(wave)
        wave[order.uid] = (message, order)
    return PreparedBatch(waves, refused)

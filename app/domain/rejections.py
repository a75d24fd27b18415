"""Why a message is dead-lettered, and how often handling one failed for an unexpected reason.

Each dead letter has a kind of reason (``REASON_KINDS``) and the reason itself.
``unexpected`` is a failure nobody classified (an exception that is not a
verdict on the order): its reason names the step, the exception's type and its
message, so that it can be fixed and the message replayed.
"""

import re
from collections import OrderedDict

import msgspec

from app.ports.order_messages import OrderMessage

INVALID = "invalid"  # the bytes are not a valid order (the reason lists every broken rule)
CONFLICT = "conflict"  # its order_uid is stored with other content; the first version stays
UNSTORABLE = "unstorable"  # the database refused it for its content
UNEXPECTED = "unexpected"  # handling it raised something nobody classified
REASON_KINDS = (INVALID, CONFLICT, UNSTORABLE, UNEXPECTED)


def unexpected_reason(step: str, error: BaseException) -> str:
    """``unexpected RecursionError while decoding it: maximum recursion depth exceeded``."""
    return f"unexpected {type(error).__name__} while {step}: {error}".rstrip(": ")


class _Uid(msgspec.Struct):
    order_uid: str


_UID = msgspec.json.Decoder(_Uid)


_UID_TEXT = re.compile(rb'"order_uid"\s*:\s*"([^"\\\x00-\x1f]{1,200})"')


def uid_in(message: OrderMessage) -> str | None:
    """The order_uid of a message that is not a valid order, when it has a readable one:
    from the JSON object it is, or else from the first ``"order_uid": "..."`` in its bytes."""
    try:
        uid = _UID.decode(message.data).order_uid
    except Exception:  # any of the ways a message is not an object with a string order_uid
        try:
            found = _UID_TEXT.search(message.data)
            uid = found[1].decode() if found else ""
        except Exception:  # not bytes, or not UTF-8 there
            return None
    return uid if 0 < len(uid) <= 200 and uid.isprintable() else None


class FailureCounts:
    """How many times handling each message failed for an unexpected reason, in this process.

    JetStream's delivery count cannot say it: naks during an outage add to it too.
    A message is known by its stream sequence and a hash of its bytes; only the
    ``remember`` most recent are kept (a message that succeeds is simply never
    counted again), so the memory stays bounded.
    """

    def __init__(self, remember: int = 10_000) -> None:
        self._counts: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._remember = remember

    def add(self, message: OrderMessage) -> int:
        """One more failure of ``message``; how many it has had."""
        key = (message.stream_sequence, hash(message.data))
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count
        while len(self._counts) > self._remember:
            self._counts.popitem(last=False)
        return count

    def forget(self, message: OrderMessage) -> None:
        self._counts.pop((message.stream_sequence, hash(message.data)), None)

    def __len__(self) -> int:
        return len(self._counts)

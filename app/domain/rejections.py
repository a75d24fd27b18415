"""Why a message is dead-lettered.

Each dead letter has a kind of reason (``REASON_KINDS``) and the reason itself.
``unexpected`` is a failure nobody classified (an exception that is not a
verdict on the order): its reason names the step, the exception's type and its
message, so that it can be fixed and the message replayed.
"""

import re

import msgspec

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


def uid_in(data: bytes) -> str | None:
    """The order_uid of a message that is not a valid order, when it has a readable one:
    from the JSON object it is, or else from the first ``"order_uid": "..."`` in its bytes."""
    try:
        uid = _UID.decode(data).order_uid
    except Exception:  # any of the ways a message is not an object with a string order_uid
        try:
            found = _UID_TEXT.search(data)
            uid = found[1].decode() if found else ""
        except Exception:  # not bytes, or not UTF-8 there
            return None
    return uid if 0 < len(uid) <= 200 and uid.isprintable() else None

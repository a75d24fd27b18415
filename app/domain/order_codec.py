"""Orders from JSON bytes and back: the Structs of ``model.py``, decoded and encoded by msgspec.

What the decoder refuses goes to the generated pydantic model, which names every
reason. Two rules are checked outside the Structs: text holding NUL is left to
the model (a cheap look at the bytes instead of a regex per string), and
``date_created`` is moved to UTC after decoding. ``encode`` writes the canonical
JSON the API serves.
"""

import threading
from datetime import UTC

import msgspec

from app.domain.model import Order, to_utc


class NotDecodable(ValueError):
    """The fast path does not take these bytes; the model says why (or accepts them after all)."""


_DECODER = msgspec.json.Decoder(Order)
_ENCODER = msgspec.json.Encoder()


def decode(raw: bytes) -> Order:
    """The order in ``raw``, its time in UTC; ``NotDecodable`` when it does not fit the Structs."""
    if b"\\u0000" in raw:  # JSON can carry NUL only as this escape; the Structs do not look for it
        raise NotDecodable("the text may hold NUL: left to the model")
    if not raw.isascii():  # msgspec does not check the fields it skips
        try:
            raw.decode()
        except UnicodeDecodeError:
            raise NotDecodable("not UTF-8: left to the model") from None
    try:
        order = _DECODER.decode(raw)
        if order.date_created.tzinfo is not UTC:
            order = msgspec.structs.replace(order, date_created=to_utc(order.date_created))
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError, RecursionError) as error:
        # RecursionError: msgspec's answer to objects nested deeper than Python's recursion limit
        raise NotDecodable(str(error)) from None
    return order


def decode_stored(raw: bytes) -> Order:
    """The order in bytes ``encode`` wrote (cached or stored): valid already, so read without the checks."""
    return _DECODER.decode(raw)


def encode(order: Order) -> bytes:
    """The canonical JSON: the model's field order, ``date_created`` in UTC with ``Z``.

    Written into this thread's reused buffer and copied out at its exact size, since
    msgspec's own ``encode`` leaves spare capacity behind every cached order."""
    buffer = _BUFFERS.json
    _ENCODER.encode_into(order, buffer)
    return bytes(buffer)


class _Buffers(threading.local):
    def __init__(self) -> None:
        self.json = bytearray(4096)


_BUFFERS = _Buffers()


def from_dict(document: dict[str, object]) -> Order:
    """The Struct of an order the pydantic model validated (its ``model_dump()``)."""
    return msgspec.convert(document, Order)

"""The order's fast form: msgspec Structs, field for field the models of ``model.py``.

Ingest decodes every message, and msgspec decodes into these in a fraction of
pydantic's time. What they accept the model accepts with the same values
(``tests/unit/test_order_codec.py`` proves it with hypothesis); what they
refuse goes to the model, which names every reason or, for the few forms only
it reads, accepts. Two rules are checked outside the Structs: text holding NUL
is left to the model, and ``date_created`` is moved to UTC after decoding.

The Structs are also the form orders are stored, cached and served in:
``encode`` writes the canonical JSON of the API.
"""

import threading
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from app.domain.model import INT64_MAX, to_utc

Count = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]
# re.search's "$" would also match before a final newline; \Z does not.
OrderUid = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}\Z")]
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class ValidDelivery(msgspec.Struct, frozen=True, gc=False):
    name: str
    phone: str
    zip: str
    city: str
    address: str
    region: str
    email: str


class ValidPayment(msgspec.Struct, frozen=True, gc=False):
    transaction: str
    request_id: str
    currency: str
    provider: str
    amount: Count
    payment_dt: Count
    bank: str
    delivery_cost: Count
    goods_total: Count
    custom_fee: Count


class ValidItem(msgspec.Struct, frozen=True, gc=False):
    chrt_id: Count
    track_number: str
    price: Count
    rid: str
    name: str
    sale: Count
    size: str
    total_price: Count
    nm_id: Count
    brand: str
    status: Count


class ValidOrder(msgspec.Struct, frozen=True, gc=False):
    """An order that passed every type rule of ``model.Order`` (the money rules are checked apart).

    Immutable, and untracked by the cycle collector (``gc=False``), like its parts:
    they never form reference cycles."""

    order_uid: OrderUid
    track_number: str
    entry: str
    delivery: ValidDelivery
    payment: ValidPayment
    items: Annotated[list[ValidItem], msgspec.Meta(min_length=1)]
    locale: str
    internal_signature: str
    customer_id: str
    delivery_service: str
    shardkey: str
    sm_id: Count
    date_created: AwareTime
    oof_shard: str


class NotDecodable(ValueError):
    """The fast path does not take these bytes; the model says why (or accepts them after all)."""


_DECODER = msgspec.json.Decoder(ValidOrder)
_ENCODER = msgspec.json.Encoder()


def decode(raw: bytes) -> ValidOrder:
    """The order in ``raw``, its time in UTC; ``NotDecodable`` when it does not fit the Structs."""
    if b"\\u0000" in raw:  # JSON can carry NUL only as this escape; the Structs do not look for it
        raise NotDecodable("the text may hold NUL: left to the model")
    if not raw.isascii() and not _is_utf8(raw):  # msgspec does not check the fields it skips
        raise NotDecodable("not UTF-8: left to the model")
    try:
        order = _DECODER.decode(raw)
        if order.date_created.tzinfo is not UTC:
            order = msgspec.structs.replace(order, date_created=to_utc(order.date_created))
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError, RecursionError) as error:
        # RecursionError: msgspec's answer to objects nested deeper than Python's recursion limit
        raise NotDecodable(str(error)) from None
    return order


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


def encode(order: ValidOrder) -> bytes:
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


def from_dict(document: dict[str, object]) -> ValidOrder:
    """The Struct of an order the pydantic model validated (its ``model_dump()``)."""
    return msgspec.convert(document, ValidOrder)

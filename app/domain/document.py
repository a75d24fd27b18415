"""An order as ready-to-send JSON bytes, the form the cache and the API use.

The same bytes come out whether an order was just ingested or read back from
the database, so comparing the bytes compares two orders' content.
"""

import msgspec

from app.domain.model import Order
from app.domain.order_codec import encode


class SerializedOrder(msgspec.Struct, frozen=True, gc=False):
    """A valid order with its canonical JSON (one per ingested order: a Struct, built in C)."""

    order: Order
    json: bytes
    uid: str  # the order's order_uid: read several times per order on the way in, so not a property


def serialize(order: Order) -> SerializedOrder:
    body = encode(order)  # what the repository makes of the stored order too (json_from_row)
    return SerializedOrder(order, body, order.order_uid)

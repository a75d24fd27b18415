"""An order as ready-to-send JSON bytes, the form the cache and the API use.

The same bytes come out whether an order was just ingested or read back from
the database, so comparing the bytes compares two orders' content.
"""

from typing import Any

import msgspec
import orjson

from app.domain.order_codec import ValidOrder, encode

_DUMP_OPTIONS = orjson.OPT_UTC_Z


def order_json(document: dict[str, Any]) -> bytes:
    """Serialize an order document (keys in the sample's order) to bytes.

    orjson hands back its whole output buffer (kilobytes more than the JSON);
    a cached order is kept for hours, so it gets an exact-size copy.
    """
    return bytes(memoryview(orjson.dumps(document, option=_DUMP_OPTIONS)))


class SerializedOrder(msgspec.Struct, frozen=True, gc=False):
    """A valid order with its canonical JSON.

    One is made per ingested order: a Struct is built in C, ten times faster
    than a frozen dataclass, and holds nothing that could form a cycle."""

    order: ValidOrder
    json: bytes
    uid: str  # the order's order_uid: read several times per order on the way in, so not a property


def serialize(order: ValidOrder) -> SerializedOrder:
    body = encode(order)  # byte for byte what order_json makes of the same document
    return SerializedOrder(order, body, order.order_uid)

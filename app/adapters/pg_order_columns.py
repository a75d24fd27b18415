"""The mapping between the order and the normalized PostgreSQL tables.

Table columns carry the order's field names, so the column lists are read off
the order's Structs: the schema and the model cannot drift apart without the
integration tests noticing.
"""

from collections.abc import Iterable
from typing import Any

from app.domain.model import Delivery, Item, Order, Payment
from app.domain.order_codec import encode

NESTED = ("delivery", "payment", "items")
_FIELDS: tuple[str, ...] = Order.__struct_fields__
ORDER_COLUMNS = tuple(name for name in _FIELDS if name not in NESTED)
DELIVERY_COLUMNS: tuple[str, ...] = Delivery.__struct_fields__
PAYMENT_COLUMNS: tuple[str, ...] = Payment.__struct_fields__
ITEM_COLUMNS: tuple[str, ...] = Item.__struct_fields__

# The document's keys in order, split around its three nested parts (which are adjacent).
HEAD_COLUMNS = _FIELDS[: _FIELDS.index("delivery")]
TAIL_COLUMNS = _FIELDS[_FIELDS.index("items") + 1 :]


def select_documents(where: str, order_by: str) -> str:
    """One row per order, columns in the document's order; items as one array per column."""
    key = "{0}.order_id = o.id"
    item_arrays = ", ".join(f"array_agg(i.{c} ORDER BY i.position)" for c in ITEM_COLUMNS)
    columns = [
        *("o." + c for c in HEAD_COLUMNS),
        *("d." + c for c in DELIVERY_COLUMNS),
        *("p." + c for c in PAYMENT_COLUMNS),
        "items.*",
        *("o." + c for c in TAIL_COLUMNS),
    ]
    return (
        f"SELECT {', '.join(columns)}"
        f" FROM orders o JOIN deliveries d ON {key.format('d')} JOIN payments p ON {key.format('p')}"
        f" CROSS JOIN LATERAL (SELECT {item_arrays} FROM items i WHERE {key.format('i')}) items"
        f" WHERE {where} ORDER BY {order_by}"
    )


_D = len(HEAD_COLUMNS)
_P = _D + len(DELIVERY_COLUMNS)
_I = _P + len(PAYMENT_COLUMNS)
_T = _I + len(ITEM_COLUMNS)


def order_from_row(row: Iterable[Any]) -> Order:
    """The order of a row of ``select_documents``.

    The row's values come in the order's field order, so they fill its Structs
    positionally (Structs are not validated when built: these orders were valid
    when they were stored)."""
    v = tuple(row)
    items = [Item(*values) for values in zip(*v[_I:_T], strict=True)]
    fields = (*v[:_D], Delivery(*v[_D:_P]), Payment(*v[_P:_I]), items, *v[_T:])
    return Order(*fields)


def json_from_row(row: Iterable[Any]) -> bytes:
    """The order's canonical JSON, the bytes ingest made of it (``encode``)."""
    return encode(order_from_row(row))

"""An order's rows in the four normalized tables, for PostgreSQL's binary COPY.

The validated order is a msgspec Struct whose fields come in the model's
order, so each table's row is a slice of ``astuple``, with no per-field
lookups; asyncpg encodes the rows in its binary COPY format.
"""

from collections.abc import Sequence
from operator import itemgetter

from msgspec.structs import astuple

from app.adapters.pg_order_columns import DELIVERY_COLUMNS, ITEM_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS
from app.domain.document import SerializedOrder
from app.domain.model import Order

_FIELDS = tuple(Order.model_fields)
_ORDER_VALUES = itemgetter(*(_FIELDS.index(c) for c in ORDER_COLUMNS))  # one C call per order
_UID_AT, _DELIVERY_AT, _PAYMENT_AT, _ITEMS_AT = (
    _FIELDS.index(c) for c in ("order_uid", "delivery", "payment", "items"))

TABLE_COLUMNS = {
    "orders": ORDER_COLUMNS,
    "deliveries": ("order_uid", *DELIVERY_COLUMNS),
    "payments": ("order_uid", *PAYMENT_COLUMNS),
    "items": ("order_uid", "position", *ITEM_COLUMNS),
}


def table_rows(orders: Sequence[SerializedOrder]) -> dict[str, list[tuple]]:
    """Rows per table (``TABLE_COLUMNS`` order), orders in the order given, so ids follow it."""
    order_rows: list[tuple] = []
    delivery_rows: list[tuple] = []
    payment_rows: list[tuple] = []
    item_rows: list[tuple] = []
    # Runs for every stored order: bound appends, tuples joined in one step (no unpacking into a
    # list first), and a plain loop over the items (no generator).
    add_order, add_delivery, add_payment, add_item = (
        order_rows.append, delivery_rows.append, payment_rows.append, item_rows.append)
    for serialized in orders:
        values = astuple(serialized.order)
        uid = values[_UID_AT]
        add_order(_ORDER_VALUES(values))
        key = (uid,)
        add_delivery(key + astuple(values[_DELIVERY_AT]))
        add_payment(key + astuple(values[_PAYMENT_AT]))
        position = 0
        for item in values[_ITEMS_AT]:
            add_item((uid, position) + astuple(item))
            position += 1
    return dict(zip(TABLE_COLUMNS, (order_rows, delivery_rows, payment_rows, item_rows)))

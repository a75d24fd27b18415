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
    "orders": (*ORDER_COLUMNS, "content_sha256"),
    "deliveries": ("order_uid", *DELIVERY_COLUMNS),
    "payments": ("order_uid", *PAYMENT_COLUMNS),
    "items": ("order_uid", "position", *ITEM_COLUMNS),
}


def table_rows(orders: Sequence[SerializedOrder]) -> dict[str, list[tuple]]:
    """Rows per table (``TABLE_COLUMNS`` order), orders in the order given, so ids follow it."""
    rows: dict[str, list[tuple]] = {table: [] for table in TABLE_COLUMNS}
    order_rows, delivery_rows, payment_rows, item_rows = rows.values()
    for serialized in orders:
        values = astuple(serialized.order)
        uid = values[_UID_AT]
        order_rows.append((*_ORDER_VALUES(values), serialized.digest))
        delivery_rows.append((uid, *astuple(values[_DELIVERY_AT])))
        payment_rows.append((uid, *astuple(values[_PAYMENT_AT])))
        item_rows.extend((uid, n, *astuple(item)) for n, item in enumerate(values[_ITEMS_AT]))
    return rows

"""An order's rows in the four normalized tables, for PostgreSQL's binary COPY.

The validated order is a msgspec Struct whose fields come in the model's
order, so each table's row is a slice of ``astuple``, with no per-field
lookups; asyncpg encodes the rows in its binary COPY format. Rows are made
while the COPY asks for them (generators), so each is encoded and freed while
it is still in the CPU's cache (``docs/performance.md``).

The child rows refer to their order by its bigint id, which the repository
reserves from the orders' identity sequence before the COPY.
"""

from collections.abc import Iterator, Sequence
from operator import itemgetter

from msgspec.structs import astuple

from app.adapters.pg_order_columns import DELIVERY_COLUMNS, ITEM_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS
from app.domain.document import SerializedOrder
from app.domain.model import Order

_FIELDS: tuple[str, ...] = Order.__struct_fields__
IdentifiedOrder = tuple[int, SerializedOrder]  # (orders.id, the order)
Row = tuple[object, ...]
_ORDER_VALUES = itemgetter(*(_FIELDS.index(c) for c in ORDER_COLUMNS))  # one C call per order

TABLE_COLUMNS = {
    "orders": ("id", *ORDER_COLUMNS),
    "deliveries": ("order_id", *DELIVERY_COLUMNS),
    "payments": ("order_id", *PAYMENT_COLUMNS),
    "items": ("order_id", "position", *ITEM_COLUMNS),
}


def table_rows(orders: Sequence[IdentifiedOrder]) -> dict[str, Iterator[Row]]:
    """Rows per table (``TABLE_COLUMNS`` order) of orders, each with the id it is stored under.

    Each table's rows can be read once. Every table has rows when ``orders`` is not empty
    (an order has at least one item)."""
    return {
        "orders": _order_rows(orders),
        "deliveries": _delivery_rows(orders),
        "payments": _payment_rows(orders),
        "items": _item_rows(orders),
    }


def _order_rows(orders: Sequence[IdentifiedOrder]) -> Iterator[Row]:
    for order_id, serialized in orders:
        yield (order_id, *_ORDER_VALUES(astuple(serialized.order)))


def _delivery_rows(orders: Sequence[IdentifiedOrder]) -> Iterator[Row]:
    for order_id, serialized in orders:
        yield (order_id, *astuple(serialized.order.delivery))


def _payment_rows(orders: Sequence[IdentifiedOrder]) -> Iterator[Row]:
    for order_id, serialized in orders:
        yield (order_id, *astuple(serialized.order.payment))


def _item_rows(orders: Sequence[IdentifiedOrder]) -> Iterator[Row]:
    for order_id, serialized in orders:
        for position, item in enumerate(serialized.order.items):
            yield (order_id, position, *astuple(item))

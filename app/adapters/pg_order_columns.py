"""The mapping between the Order model and the normalized PostgreSQL tables.

Table columns carry the model's field names, so the column lists and their
types are read off the pydantic models: the schema and the model cannot drift
apart without the integration tests noticing.
"""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime

from app.domain.model import Delivery, Item, Order, Payment

NESTED = ("delivery", "payment", "items")
ORDER_COLUMNS = tuple(name for name in Order.model_fields if name not in NESTED)
DELIVERY_COLUMNS = tuple(Delivery.model_fields)
PAYMENT_COLUMNS = tuple(Payment.model_fields)
ITEM_COLUMNS = tuple(Item.model_fields)


def sql_type(model: type, column: str) -> str:
    annotation = model.model_fields[column].annotation
    if annotation is int:
        return "bigint"
    if annotation in (datetime, AwareDatetime):
        return "timestamptz"
    return "text"


def select_documents(where: str, order_by: str) -> str:
    """One row per order: its columns, then one array per item column."""
    item_arrays = ", ".join(f"array_agg(i.{c} ORDER BY i.position)" for c in ITEM_COLUMNS)
    return (
        f"SELECT {', '.join('o.' + c for c in ORDER_COLUMNS)},"
        f" {', '.join('d.' + c for c in DELIVERY_COLUMNS)},"
        f" {', '.join('p.' + c for c in PAYMENT_COLUMNS)}, items.*"
        " FROM orders o JOIN deliveries d USING (order_uid) JOIN payments p USING (order_uid)"
        f" CROSS JOIN LATERAL (SELECT {item_arrays} FROM items i WHERE i.order_uid = o.order_uid) items"
        f" WHERE {where} ORDER BY {order_by}"
    )


_N_ORDER, _N_DELIVERY, _N_PAYMENT = len(ORDER_COLUMNS), len(DELIVERY_COLUMNS), len(PAYMENT_COLUMNS)


def document_from_row(row: Any) -> dict[str, Any]:
    """Rebuild the order document, keys in the model's (the sample's) order."""
    values = tuple(row)
    scalars = dict(zip(ORDER_COLUMNS, values[:_N_ORDER]))
    start = _N_ORDER
    delivery = dict(zip(DELIVERY_COLUMNS, values[start:start + _N_DELIVERY]))
    start += _N_DELIVERY
    payment = dict(zip(PAYMENT_COLUMNS, values[start:start + _N_PAYMENT]))
    start += _N_PAYMENT
    items = [dict(zip(ITEM_COLUMNS, item)) for item in zip(*values[start:])]
    nested = {"delivery": delivery, "payment": payment, "items": items}
    return {name: nested[name] if name in nested else scalars[name] for name in Order.model_fields}

"""The order's fields that ``order.html`` does not lay out by name, so that the page shows them too.

The template places the fields it knows where a person looks for them; a field
added to the model later has no place there yet, and this lists it (with its
path, as the API's JSON names it) under the page's technical details: a new
field reaches the page from the model alone.
"""

import msgspec

from app.domain.model import Order

LAID_OUT = {  # by model: the fields order.html shows in their own place
    "Order": {
        *("order_uid", "track_number", "entry", "delivery", "payment", "items", "locale"),
        *("internal_signature", "customer_id", "delivery_service", "shardkey", "sm_id", "date_created", "oof_shard"),
    },
    "Delivery": {"name", "phone", "zip", "city", "address", "region", "email"},
    "Payment": {
        *("transaction", "request_id", "currency", "provider", "amount", "payment_dt", "bank"),
        *("delivery_cost", "goods_total", "custom_fee"),
    },
    "Item": {
        "chrt_id",
        "track_number",
        "price",
        "rid",
        "name",
        "sale",
        "size",
        "total_price",
        "nm_id",
        "brand",
        "status",
    },
}


def unlaid_fields(order: Order) -> list[tuple[str, object]]:
    """``(path, value)`` of every field of ``order`` and its parts that the template does not name."""
    parts: list[tuple[str, msgspec.Struct]] = [("", order), ("delivery.", order.delivery), ("payment.", order.payment)]
    parts += [(f"items[{n}].", item) for n, item in enumerate(order.items)]
    return [
        (prefix + name, getattr(part, name))
        for prefix, part in parts
        for name in part.__struct_fields__
        if name not in LAID_OUT[type(part).__name__]
    ]

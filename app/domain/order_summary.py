"""The short form of an order that lists and live feeds show."""

from typing import Any

from app.domain.model import Order


def order_summary(order: Order) -> dict[str, Any]:
    """Enough to list an order and link to it, as JSON-ready values."""
    return {
        "order_uid": order.order_uid,
        "track_number": order.track_number,
        "customer_id": order.customer_id,
        "customer_name": order.delivery.name,
        "delivery_service": order.delivery_service,
        "date_created": order.date_created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "amount": order.payment.amount,
        "currency": order.payment.currency,
        "items": len(order.items),
    }

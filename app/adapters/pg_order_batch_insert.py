"""The one statement that writes a whole batch of orders, from their JSON.

The batch travels as one JSON array (the canonical bytes the domain already
made) plus the digests; PostgreSQL unpacks it with ``jsonb_to_record`` into the
four tables. That keeps per-order encoding work out of Python, and the rows are
written in a single round trip. The final SELECT runs on the snapshot taken
before the inserts, so it tells a new order from a redelivery or a conflict; it
reads the stored digest (by primary key) only for the orders not inserted.
"""

from app.adapters.pg_order_columns import (
    DELIVERY_COLUMNS, ITEM_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS, sql_type,
)
from app.domain.model import Delivery, Item, Order, Payment


def _record(model: type, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} {sql_type(model, c)}" for c in columns)


def _names(columns: tuple[str, ...], prefix: str = "") -> str:
    return ", ".join(prefix + c for c in columns)


IS_NEW = "b.uid IN (SELECT order_uid FROM new)"

INSERT_BATCH = f"""
WITH b AS (
    SELECT e.doc, e.doc->>'order_uid' AS uid, e.n, ($2::bytea[])[e.n] AS digest
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(doc, n)
),
new AS (
    INSERT INTO orders ({_names(ORDER_COLUMNS)}, content_sha256)
    SELECT {_names(ORDER_COLUMNS, "o.")}, b.digest
    FROM b, jsonb_to_record(b.doc) AS o({_record(Order, ORDER_COLUMNS)})
    ORDER BY b.n
    ON CONFLICT (order_uid) DO NOTHING
    RETURNING order_uid
),
new_deliveries AS (
    INSERT INTO deliveries (order_uid, {_names(DELIVERY_COLUMNS)})
    SELECT b.uid, {_names(DELIVERY_COLUMNS, "d.")}
    FROM b, jsonb_to_record(b.doc->'delivery') AS d({_record(Delivery, DELIVERY_COLUMNS)})
    WHERE {IS_NEW}
),
new_payments AS (
    INSERT INTO payments (order_uid, {_names(PAYMENT_COLUMNS)})
    SELECT b.uid, {_names(PAYMENT_COLUMNS, "p.")}
    FROM b, jsonb_to_record(b.doc->'payment') AS p({_record(Payment, PAYMENT_COLUMNS)})
    WHERE {IS_NEW}
),
new_items AS (
    INSERT INTO items (order_uid, position, {_names(ITEM_COLUMNS)})
    SELECT b.uid, e.n - 1, {_names(ITEM_COLUMNS, "i.")}
    FROM b, jsonb_array_elements(b.doc->'items') WITH ORDINALITY AS e(item, n),
         jsonb_to_record(e.item) AS i({_record(Item, ITEM_COLUMNS)})
    WHERE {IS_NEW}
)
SELECT b.uid AS order_uid, b.stored,
       CASE WHEN NOT b.stored THEN (SELECT o.content_sha256 = b.digest FROM orders o WHERE o.order_uid = b.uid) END AS same
FROM (SELECT b.uid, b.digest, {IS_NEW} AS stored FROM b) b
"""

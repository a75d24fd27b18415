"""Drop orders.content_sha256, the SHA-256 of each order's canonical JSON.

It told a redelivery (same digest) from a conflict (different digest) without
reading the stored order; the repository now compares the stored order's JSON.

The rollback puts the column back with every digest recomputed exactly as the
code before this migration made it: SHA-256 of the order's canonical JSON (keys
in the order's field order, compact, ``date_created`` in UTC with ``Z``, as
msgspec writes it). Self-contained: it imports nothing of ``app``, so the app can
change without rewriting this history. The columns are the schema as it stood here.
"""

import hashlib

import msgspec
from yoyo import step

__depends__ = {"0002_drop_child_foreign_keys"}

_CHUNK = 2000  # orders per fetch and per UPDATE

HEAD = ("order_uid", "track_number", "entry")
DELIVERY = ("name", "phone", "zip", "city", "address", "region", "email")
PAYMENT = (
    "transaction", "request_id", "currency", "provider", "amount", "payment_dt",
    "bank", "delivery_cost", "goods_total", "custom_fee",
)  # fmt: skip
ITEM = (
    "chrt_id", "track_number", "price", "rid", "name", "sale", "size",
    "total_price", "nm_id", "brand", "status",
)  # fmt: skip
TAIL = (
    "locale", "internal_signature", "customer_id", "delivery_service",
    "shardkey", "sm_id", "date_created", "oof_shard",
)  # fmt: skip

# One row per order, columns in the document's order, items as one array per column;
# the children refer to their order by uid (0004, which keys them by id, is undone first).
SELECT_DOCUMENTS = (
    "SELECT "
    + ", ".join(
        [
            *("o." + c for c in HEAD),
            *("d." + c for c in DELIVERY),
            *("p." + c for c in PAYMENT),
            *(
                f"(SELECT array_agg(i.{c} ORDER BY i.position) FROM items i WHERE i.order_uid = o.order_uid)"
                for c in ITEM
            ),
            *("o." + c for c in TAIL),
        ]
    )
    + " FROM orders o JOIN deliveries d ON d.order_uid = o.order_uid"
    + " JOIN payments p ON p.order_uid = o.order_uid ORDER BY o.id"
)


def canonical_json(row: tuple) -> bytes:
    """The order's canonical JSON, the bytes it was ingested as."""
    values = iter(row)
    head = {c: next(values) for c in HEAD}
    delivery = {c: next(values) for c in DELIVERY}
    payment = {c: next(values) for c in PAYMENT}
    columns = [next(values) for _ in ITEM]
    items = [dict(zip(ITEM, item, strict=True)) for item in zip(*columns, strict=True)]
    tail = {c: next(values) for c in TAIL}
    return msgspec.json.encode({**head, "delivery": delivery, "payment": payment, "items": items, **tail})


def restore_digests(conn) -> None:
    """Add the column back, fill it from the stored documents, then make it NOT NULL."""
    with conn.cursor() as cursor:
        cursor.execute("ALTER TABLE orders ADD COLUMN content_sha256 bytea")
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # date_created comes back in UTC, as the service's JSON has it
    with conn.cursor(name="order_documents") as documents, conn.cursor() as updates:
        documents.execute(SELECT_DOCUMENTS)
        while rows := documents.fetchmany(_CHUNK):
            updates.executemany(
                "UPDATE orders SET content_sha256 = %s WHERE order_uid = %s",
                [(hashlib.sha256(canonical_json(row)).digest(), row[0]) for row in rows],
            )
    with conn.cursor() as cursor:
        cursor.execute("ALTER TABLE orders ALTER COLUMN content_sha256 SET NOT NULL")


steps = [step("ALTER TABLE orders DROP COLUMN content_sha256", restore_digests)]

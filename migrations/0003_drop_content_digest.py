"""Drop orders.content_sha256, the SHA-256 of each order's canonical JSON.

It told a redelivery (same digest) from a conflict (different digest) without
reading the stored order. Computing it cost every ingested order 1.1 µs of the
service's ~45 µs of CPU, and 32 bytes in every row; the check it served runs
only when a batch meets uids already stored (a redelivery after a crash, or
a conflict), so the repository now compares the stored order's JSON instead.

The rollback puts the column back with every digest recomputed exactly as the
code before this migration made it (SHA-256 of the stored order's canonical
JSON, the bytes it was ingested as), so that code finds the digests it expects.
"""

import hashlib

from yoyo import step

from app.adapters.pg_order_columns import json_from_row, select_documents

__depends__ = {"0002_drop_child_foreign_keys"}

_CHUNK = 2000  # orders per fetch and per UPDATE


def restore_digests(conn) -> None:
    """Add the column back, fill it from the stored documents, then make it NOT NULL."""
    with conn.cursor() as cursor:
        cursor.execute("ALTER TABLE orders ADD COLUMN content_sha256 bytea")
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # date_created comes back in UTC, as the service's JSON has it
    with conn.cursor(name="order_documents") as documents, conn.cursor() as updates:
        documents.execute(select_documents("true", "o.id", children_by_uid=True))  # 0004 is undone
        while rows := documents.fetchmany(_CHUNK):
            updates.executemany(
                "UPDATE orders SET content_sha256 = %s WHERE order_uid = %s",
                [(hashlib.sha256(json_from_row(row)).digest(), row[0]) for row in rows],
            )
    with conn.cursor() as cursor:
        cursor.execute("ALTER TABLE orders ALTER COLUMN content_sha256 SET NOT NULL")


steps = [step("ALTER TABLE orders DROP COLUMN content_sha256", restore_digests)]

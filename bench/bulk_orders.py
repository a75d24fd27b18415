"""Many stored orders, fast: generated in SQL, as the service stores them (for the growth phase and the plan tests).

Publishing a million orders through the stream takes minutes here; the growth
phase and the query-plan tests need only the stored rows. One statement per
chunk makes the orders and, from the ids the identity gives them, their
delivery, payment and 1 to 5 items, all of them valid orders (the sample's
values, with a uid, track number and customer of their own; the payment adds
up), in the tables' physical order that ingest leaves (by id). The counter
triggers see the rows as they see a COPY's.
"""

import asyncpg

CHUNK = 100_000  # orders per statement: one transaction each, so the server's memory stays flat

_SEED = """
WITH new AS (
    INSERT INTO orders (order_uid, track_number, entry, locale, internal_signature, customer_id,
                        delivery_service, shardkey, sm_id, date_created, oof_shard)
    SELECT 'bulk' || $3::text || lpad(g::text, 10, '0'), 'WBILBULK' || lpad(g::text, 10, '0'), 'WBIL', 'en',
           '', 'customer' || (g % $4::int), 'meest', (g % 10)::text, 99,
           timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', '1'
    FROM generate_series($1::bigint, $2::bigint) g
    ORDER BY g
    RETURNING id, order_uid, track_number, 1 + id % 5 AS items
), d AS (
    INSERT INTO deliveries (order_id, name, phone, zip, city, address, region, email)
    SELECT id, 'Test Testov', '+9720000000', '2639809', 'Kiryat Mozkin', 'Ploshad Mira 15', 'Kraiot',
           'test@gmail.com'
    FROM new ORDER BY id
), p AS (
    INSERT INTO payments (order_id, transaction, request_id, currency, provider, amount, payment_dt, bank,
                          delivery_cost, goods_total, custom_fee)
    SELECT id, order_uid, '', 'USD', 'wbpay', 1500 + 317 * items, 1637907727, 'alpha', 1500, 317 * items, 0
    FROM new ORDER BY id
)
INSERT INTO items (order_id, position, chrt_id, track_number, price, rid, name, sale, size, total_price, nm_id,
                   brand, status)
SELECT id, position, 9934930, track_number, 453, order_uid || '-' || position, 'Mascaras', 30, '0', 317,
       2389212, 'Vivienne Sabo', 202
FROM new CROSS JOIN LATERAL generate_series(0, new.items - 1) position
ORDER BY id, position
"""


async def seed_orders(conn: asyncpg.Connection, count: int, tag: str = "", customers: int = 1000) -> None:
    """Add ``count`` orders (uids ``bulk<tag><number>``; ``customers`` customers share them evenly),
    then VACUUM ANALYZE the tables, as autovacuum soon would after such a load."""
    for first in range(1, count + 1, CHUNK):
        last = min(first + CHUNK - 1, count)
        await conn.execute(_SEED, first, last, tag, customers)
    await conn.execute("VACUUM (ANALYZE) orders, deliveries, payments, items")

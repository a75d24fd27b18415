-- Child rows are written only by the service's batch COPY, in the same transaction as their
-- order row (and never deleted apart from it), so the per-row foreign-key checks proved
-- nothing the write path does not already guarantee, at half of PostgreSQL's cost of storing
-- an order (binary COPY of 100,000 orders: 51 µs per order with the checks, 26 without).
-- The primary keys stay; the rollback puts the constraints back.
-- depends: 0001_create_order_tables
ALTER TABLE deliveries DROP CONSTRAINT deliveries_order_uid_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_order_uid_fkey;
ALTER TABLE items DROP CONSTRAINT items_order_uid_fkey;

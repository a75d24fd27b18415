-- Count the stored orders as they are stored, so that every instance shows the same exact
-- total and reads it cheaply at any size: the sum of 16 counter rows, not count(*) over the
-- table every two seconds. Statement-level triggers keep the rows in the transaction that
-- inserts (COPY included), deletes or truncates orders, whoever runs it, also an instance of
-- an older version during a rolling update. Each statement adds to the row of its backend
-- (pg_backend_pid() % 16), so concurrent writers rarely wait for one another's row.
-- CREATE TRIGGER locks orders against writes until this migration commits, so the count
-- taken here and the triggers' counts neither miss nor repeat an order.
-- depends: 0004_key_children_by_order_id

CREATE TABLE order_counts (
    slot   smallint PRIMARY KEY,
    orders bigint NOT NULL
);

CREATE FUNCTION order_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    added bigint := (SELECT count(*) FROM new_orders);
BEGIN
    IF added > 0 THEN
        UPDATE order_counts SET orders = orders + added WHERE slot = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION order_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    removed bigint := (SELECT count(*) FROM old_orders);
BEGIN
    IF removed > 0 THEN
        UPDATE order_counts SET orders = orders - removed WHERE slot = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION order_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_counts SET orders = 0;
    RETURN NULL;
END $$;

CREATE TRIGGER orders_counted_on_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_orders FOR EACH STATEMENT EXECUTE FUNCTION order_counts_add();
CREATE TRIGGER orders_counted_on_delete AFTER DELETE ON orders
    REFERENCING OLD TABLE AS old_orders FOR EACH STATEMENT EXECUTE FUNCTION order_counts_remove();
CREATE TRIGGER orders_counted_on_truncate AFTER TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION order_counts_reset();

INSERT INTO order_counts (slot, orders) SELECT slot, 0 FROM generate_series(0, 15) AS slot;
UPDATE order_counts SET orders = (SELECT count(*) FROM orders) WHERE slot = 0;

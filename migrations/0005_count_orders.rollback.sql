-- Undo 0005: no more counter rows; the total is count(*) again.

DROP TRIGGER orders_counted_on_truncate ON orders;
DROP TRIGGER orders_counted_on_delete ON orders;
DROP TRIGGER orders_counted_on_insert ON orders;
DROP FUNCTION order_counts_reset();
DROP FUNCTION order_counts_remove();
DROP FUNCTION order_counts_add();
DROP TABLE order_counts;

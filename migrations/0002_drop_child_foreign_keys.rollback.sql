-- Undo 0002: check every child row against its order again.
ALTER TABLE deliveries ADD CONSTRAINT deliveries_order_uid_fkey
    FOREIGN KEY (order_uid) REFERENCES orders (order_uid) ON DELETE CASCADE;
ALTER TABLE payments ADD CONSTRAINT payments_order_uid_fkey
    FOREIGN KEY (order_uid) REFERENCES orders (order_uid) ON DELETE CASCADE;
ALTER TABLE items ADD CONSTRAINT items_order_uid_fkey
    FOREIGN KEY (order_uid) REFERENCES orders (order_uid) ON DELETE CASCADE;

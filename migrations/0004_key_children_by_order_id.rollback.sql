-- Undo 0004: key the child tables by the order's text uid again.

ALTER TABLE deliveries ADD COLUMN order_uid text;
UPDATE deliveries c SET order_uid = o.order_uid FROM orders o WHERE o.id = c.order_id;
ALTER TABLE deliveries ALTER COLUMN order_uid SET NOT NULL, DROP COLUMN order_id, ADD PRIMARY KEY (order_uid);

ALTER TABLE payments ADD COLUMN order_uid text;
UPDATE payments c SET order_uid = o.order_uid FROM orders o WHERE o.id = c.order_id;
ALTER TABLE payments ALTER COLUMN order_uid SET NOT NULL, DROP COLUMN order_id, ADD PRIMARY KEY (order_uid);

ALTER TABLE items ADD COLUMN order_uid text;
UPDATE items c SET order_uid = o.order_uid FROM orders o WHERE o.id = c.order_id;
ALTER TABLE items ALTER COLUMN order_uid SET NOT NULL, DROP COLUMN order_id, ADD PRIMARY KEY (order_uid, position);

-- Undo 0001: drop the order tables, children first.
DROP TABLE items;
DROP TABLE payments;
DROP TABLE deliveries;
DROP TABLE orders;

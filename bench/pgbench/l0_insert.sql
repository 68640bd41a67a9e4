-- L0-insert: the SQL that W3 (POST /api/products) sends for a store whose plan has no product limit, from
-- apps/catalog/catalog_routes.cpp (create_product: BEGIN, the tenant switch, INSERT ... RETURNING, COMMIT), for a
-- random tenant per transaction and a unique sku. Pipelined in one round trip (the server needs two: the INSERT,
-- then COMMIT).
\set t random(1, :ntenants)
\set r random(1, 9000000000000000000)
\startpipeline
BEGIN;
SELECT set_config('search_path', '"store' || (:t)::text || '", public', false);
INSERT INTO products (sku, name, description, category, price_cents, stock) VALUES ('l0-' || (:client_id)::text || '-' || (:r)::text, 'Bench product', '', '', 1999, 5) RETURNING id, sku, name, description, category, price_cents, stock, created_at, updated_at;
COMMIT;
\endpipeline

-- L0-insert: the SQL that W3 (POST /api/products) sends for a store whose plan has no product limit, from
-- apps/catalog/catalog_routes.cpp (create_product: the tenant switch and the limit-guarded INSERT ... RETURNING,
-- in the implicit transaction of one pipelined batch), for a random tenant per transaction and a unique sku.
-- The server binds the limit as a NULL parameter; here it is a NULL literal. Pipelined: one round trip, as the
-- server sends it.
\set t random(1, :ntenants)
\set r random(1, 9000000000000000000)
\startpipeline
SELECT set_config('search_path', '"store' || (:t)::text || '", public', false);
INSERT INTO products (sku, name, description, category, price_cents, stock) SELECT 'l0-' || (:client_id)::text || '-' || (:r)::text, 'Bench product', '', '', 1999, 5 WHERE NULL::bigint IS NULL OR (SELECT count(*) FROM products) < NULL::bigint RETURNING id, sku, name, description, category, price_cents, stock, created_at, updated_at;
\endpipeline

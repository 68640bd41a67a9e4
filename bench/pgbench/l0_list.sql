-- L0-list: the SQL that W2 (GET /api/products?limit=20) sends, from apps/catalog/catalog_routes.cpp
-- (list_products: the count, then one page ordered by id), with the tenant switch, for a random tenant per
-- transaction. Pipelined in one round trip, as the server sends it (src/web/list_query.cpp).
\set t random(1, :ntenants)
\set limit 20
\set offset 0
\startpipeline
SELECT set_config('search_path', '"store' || (:t)::text || '", public', false);
SELECT count(*) FROM products;
SELECT id, sku, name, description, category, price_cents, stock, created_at, updated_at FROM products ORDER BY id LIMIT :limit OFFSET :offset;
\endpipeline

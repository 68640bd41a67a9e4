-- L0: the SQL that W1 (GET /api/products/{id}) sends, from apps/catalog/catalog_routes.cpp (get_product), with
-- the tenant switch the connection pool sends before it (src/db/detail/connection.cpp, kSwitchSql), for a random
-- tenant per transaction. Pipelined: one round trip, the least the database can be asked to do for the request.
\set t random(1, :ntenants)
\set id random(1, :nproducts)
\startpipeline
SELECT set_config('search_path', '"store' || (:t)::text || '", public', false);
SELECT id, sku, name, description, category, price_cents, stock, created_at, updated_at FROM products WHERE id = :id;
\endpipeline

-- L0-S1-affine: L0 (W1's SQL and tenant switch, pipelined) where each pgbench client serves a fixed share of the
-- tenants, as the server's tenant affinity makes each connection do. With thousands of schemas this shows what
-- PostgreSQL can do once each backend's catalog caches hold its share instead of being rebuilt for every tenant.
\set share greatest(1, :ntenants / :clients)
\set t (:client_id % :clients) * :share + random(1, :share)
\set id random(1, :nproducts)
\startpipeline
SELECT set_config('search_path', '"store' || (:t)::text || '", public', false);
SELECT id, sku, name, description, category, price_cents, stock, created_at, updated_at FROM products WHERE id = :id;
\endpipeline

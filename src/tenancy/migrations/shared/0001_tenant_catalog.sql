-- The tenant catalog: one row per tenant, its hostnames, and a notification on every change so that every
-- server process refreshes its in-memory copy (no catalog query on the request path).
CREATE TABLE tenants (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  schema_name text NOT NULL UNIQUE
    CHECK (schema_name ~ '^[a-z][a-z0-9_]{0,62}$' AND schema_name NOT LIKE 'pg\_%'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  state text NOT NULL DEFAULT 'provisioning'
    CHECK (state IN ('provisioning', 'active', 'suspended', 'archived', 'failed')),
  plan text NOT NULL DEFAULT 'free',
  settings jsonb NOT NULL DEFAULT '{}',
  state_reason text,
  -- Digest of the tenant migrations applied to the schema: equal to the code's digest = nothing to do.
  migrations_digest text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE domains (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain text NOT NULL UNIQUE CHECK (domain = lower(domain) AND length(domain) BETWEEN 1 AND 253),
  tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  is_primary boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX domains_tenant_id ON domains (tenant_id);
-- At most one primary domain per tenant, enforced by the database.
CREATE UNIQUE INDEX domains_one_primary ON domains (tenant_id) WHERE is_primary;

-- Triggers are fine here: the catalog lives in public, not in a (Citus-distributed) tenant schema.
CREATE FUNCTION tenantry_notify_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tenantry_catalog', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
CREATE TRIGGER tenants_notify AFTER INSERT OR UPDATE OR DELETE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION tenantry_notify_catalog();
CREATE TRIGGER domains_notify AFTER INSERT OR UPDATE OR DELETE ON domains
  FOR EACH STATEMENT EXECUTE FUNCTION tenantry_notify_catalog();

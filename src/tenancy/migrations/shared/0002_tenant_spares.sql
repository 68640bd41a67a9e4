-- Ready-made tenant schemas (every tenant migration applied), renamed into place when a tenant is created:
-- creation then costs a rename instead of replaying the migrations. A spare is only used while its digest is
-- the code's; stale spares are dropped by the refill.
CREATE TABLE tenant_spares (
  schema_name text PRIMARY KEY CHECK (schema_name LIKE 'tenantry\_spare\_%'),
  migrations_digest text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every platform-administration action: who, what, on which tenant, when, and how it ended.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_user_id bigint,
  actor_email text,
  action text NOT NULL,
  tenant_schema text,
  detail jsonb NOT NULL DEFAULT '{}',
  outcome text NOT NULL CHECK (outcome IN ('ok', 'error')),
  error text
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_tenant ON audit_log (tenant_schema, at DESC);

-- Global accounts: one person registers once and belongs to several stores, with a role in each.
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  display_name text NOT NULL DEFAULT '',
  is_disabled boolean NOT NULL DEFAULT false,
  is_platform_admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'staff', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX memberships_tenant_id ON memberships (tenant_id);

-- Tokens are signed, not stored: a revocation names one token, or every token of a user on one tenant (or on
-- all, tenant_id NULL) issued before not_before. Rows can be forgotten once the tokens they name have expired.
CREATE TABLE token_revocations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_id text,
  user_id bigint,
  tenant_id bigint,
  not_before timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL,
  CHECK (token_id IS NOT NULL OR user_id IS NOT NULL)
);

-- The token signing key, created once and shared by every server process.
CREATE TABLE auth_keys (
  id int PRIMARY KEY CHECK (id = 1),
  secret text NOT NULL
);

CREATE FUNCTION tenantry_notify_auth() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tenantry_auth', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
CREATE TRIGGER token_revocations_notify AFTER INSERT OR UPDATE OR DELETE ON token_revocations
  FOR EACH STATEMENT EXECUTE FUNCTION tenantry_notify_auth();

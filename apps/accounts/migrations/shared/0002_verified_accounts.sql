-- E-mail ownership, proven by following a link. Accounts made before verification existed keep working.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
UPDATE users SET email_verified_at = created_at;

-- Fixed-window throttle counters shared by every server process (login, signup, mail).
CREATE TABLE throttle_counters (
  bucket text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL
);

-- Single-use links sent by mail. The link carries the id, a nonce and an HMAC; the row keeps a hash of the
-- nonce (so a copy of this table opens nothing), what the link is for, and whether it was used.
CREATE TABLE auth_links (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  purpose text NOT NULL CHECK (purpose IN ('verify-email', 'reset-password', 'invitation')),
  nonce_hash text NOT NULL,
  email text NOT NULL,
  user_id bigint REFERENCES users (id) ON DELETE CASCADE,
  tenant_id bigint REFERENCES tenants (id) ON DELETE CASCADE,
  role text CHECK (role IN ('owner', 'admin', 'staff', 'viewer')),
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (purpose <> 'invitation' OR (tenant_id IS NOT NULL AND role IS NOT NULL))
);
CREATE INDEX auth_links_pending_invitations ON auth_links (tenant_id, lower(email))
  WHERE purpose = 'invitation' AND used_at IS NULL;
CREATE INDEX auth_links_user_id ON auth_links (user_id);

-- Tokens die when the right behind them does, whatever changed it (API, CLI or plain SQL): disabling a user
-- or changing its password or e-mail revokes all its tokens, losing platform-admin rights its admin tokens
-- (tenant 0), and a removed membership or a changed role the tokens of that store. Rows live 31 days, the
-- longest token lifetime the configuration allows.
CREATE FUNCTION tenantry_revoke_user_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.is_disabled AND NOT OLD.is_disabled) OR NEW.password_hash IS DISTINCT FROM OLD.password_hash
     OR NEW.email IS DISTINCT FROM OLD.email THEN
    INSERT INTO public.token_revocations (user_id, expires_at) VALUES (NEW.id, now() + interval '31 days');
  ELSIF OLD.is_platform_admin AND NOT NEW.is_platform_admin THEN
    INSERT INTO public.token_revocations (user_id, tenant_id, expires_at)
    VALUES (NEW.id, 0, now() + interval '31 days');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER users_revoke_tokens AFTER UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION tenantry_revoke_user_tokens();

CREATE FUNCTION tenantry_revoke_member_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.role IS DISTINCT FROM OLD.role THEN
    INSERT INTO public.token_revocations (user_id, tenant_id, expires_at)
    VALUES (OLD.user_id, OLD.tenant_id, now() + interval '31 days');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER memberships_revoke_tokens AFTER UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION tenantry_revoke_member_tokens();

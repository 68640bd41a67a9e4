-- Least privilege (README, "Security"). The request pools' role works with accounts; the signing key is
-- not among what it may read.
GRANT SELECT, INSERT, UPDATE, DELETE ON users, memberships, token_revocations, throttle_counters, auth_links
  TO tenantry_runtime;

-- A store's requests (its tenant role) see the store's memberships and its members' names, nothing else of
-- the accounts: no password hashes, no other store's team.
GRANT SELECT ON memberships TO tenantry_tenants;
GRANT SELECT (id, email, display_name) ON users TO tenantry_tenants;

-- The subqueries make one evaluation per statement (an InitPlan), not one per row. For a role that is no
-- tenant's (the request pools' own, on public routes and for authentication) the function is NULL: all rows.
-- The table owner (migrations, provisioning) is not subject to the policies.
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY memberships_of_the_current_tenant ON memberships
  USING ((SELECT tenantry_role_tenant(current_user)) IS NULL
         OR tenant_id = (SELECT tenantry_role_tenant(current_user)));
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_of_the_current_tenant ON users
  USING ((SELECT tenantry_role_tenant(current_user)) IS NULL OR id IN (SELECT user_id FROM memberships));

-- The token signing key: only the owner reads the table; the request pools get the key through this
-- function (which creates it on first use), tenant roles not at all.
REVOKE ALL ON auth_keys FROM PUBLIC;
CREATE FUNCTION tenantry_signing_key(candidate text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public AS $$
BEGIN
  INSERT INTO public.auth_keys (id, secret) VALUES (1, candidate) ON CONFLICT (id) DO NOTHING;
  RETURN (SELECT secret FROM public.auth_keys WHERE id = 1);
END
$$;
REVOKE ALL ON FUNCTION tenantry_signing_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_signing_key(text) TO tenantry_runtime;

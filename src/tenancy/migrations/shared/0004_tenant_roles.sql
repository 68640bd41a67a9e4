-- Least privilege (README, "Security"): a tenant's requests run as the tenant's own role, recorded here
-- (db_role), and row-level security on shared tables finds the tenant of the current role through
-- tenantry_role_tenant(). The group roles tenantry_runtime and tenantry_tenants are made by the migration
-- runner before the shared migrations run (tenantry/db/tenant_roles.hpp).
ALTER TABLE tenants ADD COLUMN db_role text UNIQUE;

-- SECURITY DEFINER: tenant roles may not read the catalog, yet their policies must find their tenant.
-- NULL for a role that is no tenant's (the request pools' own).
CREATE FUNCTION tenantry_role_tenant(role name) RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$ SELECT id FROM public.tenants WHERE db_role = role $$;

-- The request pools' role resolves hosts, reports readiness and changes tenant states and domains. Building,
-- renaming and dropping schemas is the owner's (provisioning runs on the owner's connections).
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, domains TO tenantry_runtime;
GRANT SELECT ON tenant_spares TO tenantry_runtime;

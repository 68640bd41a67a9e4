-- Per-tenant maintenance mode: while maintenance_since is set, the tenant's API answers 503
-- tenant-maintenance with Retry-After (maintenance_retry_after seconds) to everyone but platform admins.
-- Columns rather than a state: a tenant in maintenance is still active (its data, domains and spares are
-- those of an active tenant), and the columns travel with the in-memory catalog, so the check costs no query.
ALTER TABLE tenants ADD COLUMN maintenance_since timestamptz,
  ADD COLUMN maintenance_retry_after integer
    CHECK (maintenance_retry_after BETWEEN 1 AND 86400),
  ADD COLUMN maintenance_message text CHECK (length(maintenance_message) BETWEEN 1 AND 500),
  ADD CONSTRAINT tenants_maintenance_whole
    CHECK ((maintenance_since IS NULL) = (maintenance_retry_after IS NULL)
           AND (maintenance_since IS NOT NULL OR maintenance_message IS NULL));

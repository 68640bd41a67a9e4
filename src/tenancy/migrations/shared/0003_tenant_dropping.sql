-- `dropping`: a tenant being dropped is taken out of service first (every server stops routing it on the
-- NOTIFY), and only then its schema goes, so that no request runs into half-dropped tables.
ALTER TABLE tenants DROP CONSTRAINT tenants_state_check,
  ADD CONSTRAINT tenants_state_check
    CHECK (state IN ('provisioning', 'active', 'suspended', 'archived', 'failed', 'dropping'));

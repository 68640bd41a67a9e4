-- Least privilege (README, "Security"): the request pools' role records platform-administration actions and
-- reads them back; tenant roles can do neither.
GRANT SELECT, INSERT ON audit_log TO tenantry_runtime;

#pragma once

#include <string>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"

namespace tenantry::tenancy {

/// One way the database falls short of the least-privilege set-up (tenantry/db/tenant_roles.hpp).
struct GrantFinding {
  enum class Severity {
    kBlocking,  // requests would fail: a tenant without its role, a runtime role that cannot switch to it
    kWeakness,  // requests work, but PostgreSQL does not keep tenants (or the host) as far apart as it should
  };
  Severity severity = Severity::kWeakness;
  std::string subject;  // "runtime role tenantry_app", "tenant acme", "table public.audit_log", ...
  std::string problem;  // a sentence
  bool fixable = true;  // DatabaseGrants::apply() repairs it; otherwise the problem says what to do
};

/// Checks and repairs the roles and grants of one database: `tenantry db grants --check|--apply`, and the
/// server's start. Runs on the owner's pool; `runtime_role` is the login role of the request pools.
class DatabaseGrants {
 public:
  DatabaseGrants(db::Pool& owner_pool, std::string runtime_role);

  /// kBlocking: only what would make requests fail (the server's start: no pass over every table);
  /// kThorough: everything, table grants and the shared tables included.
  enum class Depth { kBlocking, kThorough };
  Task<std::vector<GrantFinding>> check(Depth depth = Depth::kThorough);
  /// Repairs what check() finds fixable, as the owner (idempotent: a second run does nothing). Returns the
  /// changes made, one line each.
  Task<std::vector<std::string>> apply();

 private:
  struct TenantSchema;
  /// Every tenant schema and spare, with the role it should have and the findings about it.
  Task<std::vector<TenantSchema>> inspect_tenants(Depth depth);
  Task<bool> check_group_roles(std::vector<GrantFinding>& out);
  Task<void> check_runtime_role(std::vector<GrantFinding>& out);
  Task<void> check_public(std::vector<GrantFinding>& out);
  Task<void> repair_public(std::vector<std::string>& done);
  Task<void> repair_tenant(const TenantSchema& tenant, std::vector<std::string>& done);

  db::Pool& pool_;
  std::string runtime_role_;
};

std::string_view to_string(GrantFinding::Severity severity);

}  // namespace tenantry::tenancy

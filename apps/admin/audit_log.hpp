#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "tenantry/core/task.hpp"
#include "tenantry/db/transaction.hpp"

namespace tenantry::apps::admin {

/// One action for the audit log (`public.audit_log`, shown by GET /admin/api/audit).
struct AuditEntry {
  std::optional<std::int64_t> actor_user_id;  // a platform user; none for the command line
  std::string actor;                          // their e-mail, or "cli:<os user>"
  std::string action;                         // e.g. "tenant.create", "signup"
  std::string tenant;                         // the tenant's schema, or empty
  boost::json::object detail;
  bool ok = true;  // false: an action of many transactions (a fleet migration) that failed in part
};

/// Writes `entry` in `tx`, the action's own transaction: the entry commits with the
/// action or not at all. `tx` may be on a tenant's search path: the table is qualified. Pass a named entry
/// (the coroutine rule, tenantry/core/task.hpp).
Task<void> record(db::Transaction& tx, const AuditEntry& entry);

}  // namespace tenantry::apps::admin

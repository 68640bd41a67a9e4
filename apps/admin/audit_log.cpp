#include "apps/admin/audit_log.hpp"

#include <boost/json/serialize.hpp>

namespace tenantry::apps::admin {

Task<void> record(db::Transaction& tx, const AuditEntry& entry) {
  std::optional<std::string> tenant;
  if (!entry.tenant.empty()) tenant = entry.tenant;
  const std::string detail = boost::json::serialize(entry.detail);
  const std::string outcome = entry.ok ? "ok" : "error";
  co_await tx.query(
      "INSERT INTO public.audit_log (actor_user_id, actor_email, action, tenant_schema, detail, outcome) "
      "VALUES ($1, $2, $3, $4, $5::jsonb, $6)",
      entry.actor_user_id, entry.actor, entry.action, tenant, detail, outcome);
}

}  // namespace tenantry::apps::admin

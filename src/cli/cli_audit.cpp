#include "cli/cli_audit.hpp"

#include <pwd.h>
#include <unistd.h>

#include "tenantry/db/session.hpp"

namespace tenantry::cli {

std::string cli_actor() {
  // The effective user is who acts; the password database over $USER, which anyone can set.
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr)
    return std::string("cli:") + pw->pw_name;
  return "cli:uid " + std::to_string(::geteuid());
}

apps::admin::AuditEntry cli_entry(std::string action, std::string tenant, boost::json::object detail) {
  return {std::nullopt, cli_actor(), std::move(action), std::move(tenant), std::move(detail)};
}

tenancy::TransactionHook audit_hook(apps::admin::AuditEntry entry) {
  // The entry lives in the closure, which the caller's std::function keeps until the action is done.
  return [entry = std::move(entry)](db::Transaction& tx) { return apps::admin::record(tx, entry); };
}

tenancy::ActivationHook audit_activation(apps::admin::AuditEntry entry) {
  return [entry = std::move(entry)](db::Transaction& tx, tenancy::TenantId) {
    return apps::admin::record(tx, entry);
  };
}

Task<void> record_after(db::Pool& pool, const apps::admin::AuditEntry& entry) {
  const db::Session session(pool);
  db::Transaction tx = co_await session.begin();
  co_await apps::admin::record(tx, entry);
  co_await tx.commit();
}

}  // namespace tenantry::cli

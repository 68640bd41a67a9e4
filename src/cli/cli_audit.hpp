#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "apps/admin/audit_log.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/tenancy/transaction_hook.hpp"

namespace tenantry::cli {

/// The command line's actor in the audit log: "cli:<os user>".
std::string cli_actor();

/// The audit entry of a command-line action.
apps::admin::AuditEntry cli_entry(std::string action, std::string tenant, boost::json::object detail = {});

/// Hooks that write `entry` in the action's own transaction (see tenancy::TransactionHook).
tenancy::TransactionHook audit_hook(apps::admin::AuditEntry entry);
tenancy::ActivationHook audit_activation(apps::admin::AuditEntry entry);

/// For actions of many transactions (a fleet migration, `exec --all`): writes `entry` on its own, after the
/// fact, with its outcome (`entry.ok`).
Task<void> record_after(db::Pool& pool, const apps::admin::AuditEntry& entry);

}  // namespace tenantry::cli

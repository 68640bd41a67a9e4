#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tenantry/core/config.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/tenancy/domain_name.hpp"
#include "tenantry/tenancy/errors.hpp"
#include "tenantry/tenancy/public_hosts.hpp"
#include "tenantry/tenancy/tenant.hpp"
#include "tenantry/tenancy/transaction_hook.hpp"

namespace tenantry::tenancy {

/// Reads and changes the tenant catalog (`public.tenants`, `public.domains`). Every change notifies the
/// `tenantry_catalog` channel (a trigger), which running servers listen to.
class TenantCatalog {
 public:
  /// `tenancy` says which hosts are public, hence never a tenant's domain; it must outlive the catalog.
  explicit TenantCatalog(db::Pool& pool, const Config::Tenancy& tenancy = default_tenancy())
      : pool_(pool), tenancy_(tenancy) {}

  /// Every tenant with its domains, ordered by id.
  Task<std::vector<Tenant>> list() const;
  Task<std::optional<Tenant>> find(const db::SchemaName& schema) const;
  /// Throws TenantNotFound.
  Task<Tenant> get(const db::SchemaName& schema) const;

  /// `on_change` runs in the state change's transaction (not when the tenant is already in that state).
  Task<void> suspend(const db::SchemaName& schema, std::optional<std::string> reason = {},
                     TransactionHook on_change = {});
  Task<void> resume(const db::SchemaName& schema, TransactionHook on_change = {});
  Task<void> archive(const db::SchemaName& schema, TransactionHook on_change = {});
  /// Opens (or changes) an active tenant's maintenance window; a tenant in another state is a
  /// TenantConflict. `retry_after_seconds` (1 to 86400) is the Retry-After of its 503s.
  Task<void> start_maintenance(const db::SchemaName& schema, int retry_after_seconds,
                               std::optional<std::string> message = {}, TransactionHook on_change = {});
  /// Closes the window; `on_change` runs only when there was one.
  Task<void> end_maintenance(const db::SchemaName& schema, TransactionHook on_change = {});
  Task<void> update(const db::SchemaName& schema, std::optional<std::string> name,
                    std::optional<std::string> plan);

  /// The tenant's first domain becomes primary; `primary` makes a later one primary. A public host is
  /// refused (ValidationError), a domain of another tenant is a TenantConflict.
  Task<void> add_domain(const db::SchemaName& schema, const DomainName& domain, bool primary = false);
  /// Removing the primary promotes the oldest remaining domain.
  Task<void> remove_domain(const DomainName& domain);
  Task<void> set_primary(const DomainName& domain);

 private:
  Task<void> change_state(const db::SchemaName& schema, TenantState to, std::vector<TenantState> from,
                          std::optional<std::string> reason, TransactionHook on_change);
  Task<void> set_maintenance(const db::SchemaName& schema, const char* update, std::optional<int> retry_after,
                             std::optional<std::string> message, TransactionHook on_change);
  db::Pool& pool_;
  const Config::Tenancy& tenancy_;
};

}  // namespace tenantry::tenancy

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tenantry/core/config.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/db/transaction.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/tenancy/domain_name.hpp"
#include "tenantry/tenancy/errors.hpp"
#include "tenantry/tenancy/public_hosts.hpp"
#include "tenantry/tenancy/tenant.hpp"
#include "tenantry/tenancy/transaction_hook.hpp"

namespace tenantry::tenancy {

/// Process-wide provisioning counters, for metrics.
struct ProvisioningStats {
  std::atomic<std::uint64_t> created{0}, failed{0}, microseconds{0}, from_spare{0};
};
ProvisioningStats& provisioning_stats();

/// What `TenantProvisioner::create` needs.
struct NewTenant {
  db::SchemaName schema;
  std::string name;
  std::vector<DomainName> domains;  // the first becomes primary; a public host is refused
  std::string plan = "free";
};

/// Runs inside the transaction that activates a new tenant (its search_path is the new schema: qualify
/// public tables): what it writes commits with the tenant or not at all, e.g. the owner's membership.
using ActivationHook = std::function<Task<void>(db::Transaction&, TenantId)>;

/// Creates, clones, renames and drops tenant schemas. Create and clone are atomic: the catalog row is
/// reserved in state `provisioning`, then one transaction creates the schema (or renames a ready-made spare
/// into place), applies every tenant migration and marks the tenant active. On failure the transaction rolls
/// back (no schema) and the row is removed; a row left by a crashed attempt is taken over by the next
/// attempt, or removed by recover_abandoned(): while an attempt runs, its transaction holds the schema's
/// advisory lock, so a `provisioning` row whose lock is free and whose schema does not exist is abandoned.
class TenantProvisioner {
 public:
  /// `use_spares = false` always replays the migrations (the fallback path; benchmarks compare both).
  /// `tenancy` says which hosts are public, hence never a tenant's domain; it must outlive the provisioner.
  TenantProvisioner(db::Pool& pool, const migrations::MigrationPlan& tenant_plan,
                    const Config::Tenancy& tenancy, bool use_spares = true)
      : pool_(pool), plan_(tenant_plan), tenancy_(tenancy), use_spares_(use_spares) {}
  /// With the built-in public hosts only (localhost, 127.0.0.1).
  TenantProvisioner(db::Pool& pool, const migrations::MigrationPlan& tenant_plan, bool use_spares = true)
      : TenantProvisioner(pool, tenant_plan, default_tenancy(), use_spares) {}

  /// A schema of that name that is no tenant (left over, or made by hand) is a TenantConflict, like a taken
  /// slug. An exception from `on_activate` rolls everything back and reaches the caller as it is.
  Task<Tenant> create(const NewTenant& request, const ActivationHook& on_activate = {});
  /// A new tenant with the whole of `source`: every table (also those no migration made), sequence (with its
  /// value), constraint, index, default, view and row (see detail::copy_schema).
  Task<Tenant> clone(const db::SchemaName& source, const db::SchemaName& target,
                     std::optional<std::string> name = {}, const ActivationHook& on_activate = {});
  Task<void> rename(const db::SchemaName& from, const db::SchemaName& to,
                    const TransactionHook& on_rename = {});
  /// Takes the tenant out of service everywhere first (state `dropping`: every server stops routing it on the
  /// catalog's NOTIFY and answers 404), waits `drain` for the requests already running, then drops the schema
  /// and the catalog row (with its domains). On failure the tenant gets its state back; after a crash it
  /// stays `dropping` (out of service) until a drop is run again.
  Task<void> drop(const db::SchemaName& schema, const TransactionHook& on_drop = {},
                  std::chrono::milliseconds drain = std::chrono::milliseconds(1000));

  /// Removes the catalog rows of provisioning attempts that died (a killed `tenant create`): state
  /// `provisioning` for more than a moment, schema lock free, no schema. Returns their slugs. Cheap when
  /// there are none (one query): servers run it every few seconds.
  Task<std::vector<db::SchemaName>> recover_abandoned();

  /// Keeps `count` ready-made schemas for create() (drops spares made for other migrations first); returns
  /// how many it created. Run it in the background: each spare costs a full migration replay.
  Task<std::size_t> refill_spares(std::size_t count);

 private:
  /// Renames a spare into `schema` and activates the tenant; false when no current spare is left.
  Task<bool> take_spare(TenantId id, const db::SchemaName& schema, const ActivationHook& on_activate);
  Task<TenantId> reserve(const NewTenant& request);
  Task<Tenant> finish(TenantId id, const db::SchemaName& schema, std::optional<db::SchemaName> copy_from,
                      const ActivationHook& on_activate);
  Task<void> forget_reservation(TenantId id);
  /// Commits state `dropping`; returns the state before.
  Task<TenantState> take_out_of_service(const db::SchemaName& schema);
  Task<bool> remove_if_abandoned(TenantId id, const db::SchemaName& schema);

  db::Pool& pool_;
  const migrations::MigrationPlan& plan_;
  const Config::Tenancy& tenancy_;
  bool use_spares_;
};

}  // namespace tenantry::tenancy

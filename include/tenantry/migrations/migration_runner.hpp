#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/db/schema_name.hpp"
#include "tenantry/db/transaction.hpp"
#include "tenantry/migrations/migration_plan.hpp"

namespace tenantry::migrations {

/// A migration that failed or cannot run; the message names the migration and the schema.
class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Process-wide migration counters, for metrics.
struct MigrationStats {
  std::atomic<std::uint64_t> applied{0}, schemas_migrated{0}, schemas_current{0}, schemas_failed{0},
      microseconds{0};
};
MigrationStats& migration_stats();

/// What happened to one schema in a run.
struct SchemaOutcome {
  /// kSkipped: the schema vanished (the tenant was dropped or renamed) before its turn; nothing was run.
  enum class Kind { kMigrated, kCurrent, kFailed, kSkipped };
  std::string schema;  // "public" for shared migrations
  Kind kind = Kind::kCurrent;
  std::vector<std::string> applied;  // migration ids applied by this run
  std::string error;
  double milliseconds = 0;
};

/// The result of a fleet run: one outcome per tenant schema considered.
struct FleetReport {
  std::vector<SchemaOutcome> outcomes;
  std::size_t count(SchemaOutcome::Kind kind) const;
  bool ok() const { return count(SchemaOutcome::Kind::kFailed) == 0; }
};

struct FleetOptions {
  std::size_t jobs = 4;
  bool fail_fast = false;
  /// Called after each schema, with the number finished so far and the total.
  std::function<void(const SchemaOutcome&, std::size_t done, std::size_t total)> on_progress;
};

/// A migration recorded in a schema's history table.
struct AppliedMigration {
  std::string app, name, checksum, applied_at;
};

/// Applied, pending and inconsistent migrations of one schema.
struct SchemaStatus {
  std::string schema;
  std::vector<AppliedMigration> applied;
  std::vector<std::string> pending;   // migration ids
  std::vector<std::string> problems;  // changed checksums, unknown applied migrations
  bool missing = false;               // the tenant's schema does not exist (dropped or renamed meanwhile)
};

/// Applies migrations: shared ones in `public`, tenant ones in every tenant schema. Each migration runs in
/// its own transaction under a per-schema advisory lock (the one provisioning, rename and drop take), so
/// concurrent runners never apply one twice and a schema cannot vanish under a migration. Under the lock the
/// schema's existence is checked and a tenant migration runs with `search_path` set to the tenant schema
/// alone: nothing it creates can land in `public` (shared objects are reached as `public.x`). Each schema's
/// history is its own `tenantry_migrations` table; the catalog keeps a digest per tenant, and a fleet run
/// verifies the histories of the tenants it claims current in one query per few hundred schemas.
class MigrationRunner {
 public:
  MigrationRunner(db::Pool& pool, std::span<const App* const> apps);

  Task<SchemaOutcome> migrate_shared();
  Task<SchemaOutcome> migrate_tenant(const db::SchemaName& schema);
  /// Every tenant schema not known to be current, `jobs` at a time. A failure does not stop the others
  /// unless `fail_fast`. Known current: the catalog's digest matches the code's and the schema's history
  /// holds exactly the code's migrations (verified for all of them at once), so that a history restored
  /// from an old dump or edited by hand is migrated, as `status()` shows it.
  Task<FleetReport> migrate_tenants(const FleetOptions& options);
  /// Status of public (when `only` is empty) and of every tenant schema, or of the one named.
  Task<std::vector<SchemaStatus>> status(const std::optional<db::SchemaName>& only);

  /// Creates the history table and applies every tenant migration inside `tx`, whose schema must be
  /// the new tenant's: all or nothing, for provisioning. The migrations see `search_path` = that schema
  /// alone, as in migrate_tenant(); the transaction's search_path is restored afterwards.
  static Task<void> apply_all(db::Transaction& tx, const MigrationPlan& plan);

  const MigrationPlan& shared_plan() const noexcept { return shared_; }
  const MigrationPlan& tenant_plan() const noexcept { return tenant_; }

 private:
  Task<SchemaOutcome> migrate_schema(db::SchemaName schema, const MigrationPlan& plan);
  /// Of the tenant schemas the catalog's digest claims current, those whose history says otherwise (or
  /// cannot be read), in a query per few hundred schemas.
  Task<std::vector<std::string>> unverified(const std::vector<std::string>& claimed_current);

  db::Pool& pool_;
  MigrationPlan shared_, tenant_;
};

}  // namespace tenantry::migrations

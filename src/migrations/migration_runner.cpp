#include "tenantry/migrations/migration_runner.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "tenantry/core/concurrency.hpp"
#include "tenantry/db/schema_lock.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/db/tenant_roles.hpp"

namespace tenantry::migrations {

namespace {

// The shared history has its own name so that a tenant session (search_path "<tenant>", public) can never
// fall through to the shared history when its own is missing.
std::string_view history_table(Scope scope) {
  return scope == Scope::kShared ? "tenantry_shared_migrations" : "tenantry_migrations";
}

/// `schema` as an SQL identifier. A db::SchemaName holds no quote; doubled anyway, as PQescapeIdentifier
/// does.
std::string quoted(std::string_view schema) {
  std::string out = "\"";
  for (char c : schema) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

/// The history table of `schema`, schema-qualified: never looked up through a search path, which falls
/// through to public when the tenant schema is gone.
std::string history_of(Scope scope, const std::string& schema) {
  return (scope == Scope::kShared ? std::string("public") : quoted(schema)) + "." +
         std::string(history_table(scope));
}

std::string create_history_sql(Scope scope, const std::string& schema) {
  return "CREATE TABLE IF NOT EXISTS " + history_of(scope, schema) +
         " (app text NOT NULL, name text NOT NULL, checksum text NOT NULL,"
         " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (app, name))";
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

/// A schema's history, and whether the schema itself is missing (dropped or renamed).
struct History {
  std::vector<AppliedMigration> applied;
  bool missing_schema = false;
};

Task<History> load_history(const db::Session& session, Scope scope) {
  History out;
  bool no_table = false;
  const std::string sql = "SELECT app, name, checksum, applied_at::text FROM " +
                          history_of(scope, session.schema().str()) + " ORDER BY applied_at, app, name";
  try {
    auto rows = co_await session.query(sql);
    for (auto row : rows)
      out.applied.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                             row.get<std::string>(3)});
  } catch (const db::UndefinedTable&) {
    no_table = true;  // never migrated, or no schema at all: told apart below
  } catch (const db::InvalidSchemaName&) {
    no_table = true;
  }
  if (no_table && scope == Scope::kTenant) {
    auto schema = co_await session.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", session.schema());
    out.missing_schema = schema.empty();
  }
  co_return out;
}

bool is_applied(const std::vector<AppliedMigration>& applied, const Migration& m) {
  return std::any_of(applied.begin(), applied.end(),
                     [&](const auto& a) { return a.app == m.app && a.name == m.name; });
}

/// Runs one migration's SQL in `tx`; a failure names the migration.
Task<void> apply_one(db::Transaction& tx, const Migration& m) {
  std::optional<std::string> error;
  try {
    co_await tx.execute_script(m.sql);
  } catch (const db::Error& e) {
    error = e.what();  // rethrown below with the migration's name
  }
  if (error) throw MigrationError("migration " + m.id() + " failed: " + *error);
}

/// Checksum mismatches and applied migrations the code no longer has.
std::vector<std::string> problems_of(const std::vector<AppliedMigration>& applied,
                                     const MigrationPlan& plan) {
  std::vector<std::string> problems;
  for (const auto& a : applied) {
    const Migration* m = plan.find(a.app, a.name);
    if (m == nullptr)
      problems.push_back("applied migration " + a.app + "/" + a.name + " is not in the code");
    else if (m->checksum != a.checksum)
      problems.push_back("migration " + m->id() + " was changed after it was applied (checksum " +
                         a.checksum.substr(0, 12) + " applied, " + m->checksum.substr(0, 12) +
                         " in the code)");
  }
  return problems;
}

}  // namespace

MigrationStats& migration_stats() {
  static MigrationStats stats;
  return stats;
}

std::size_t FleetReport::count(SchemaOutcome::Kind kind) const {
  std::size_t n = 0;
  for (const auto& o : outcomes) n += o.kind == kind;
  return n;
}

MigrationRunner::MigrationRunner(db::Pool& pool, std::span<const App* const> apps)
    : pool_(pool), shared_(apps, Scope::kShared), tenant_(apps, Scope::kTenant) {}

Task<SchemaOutcome> MigrationRunner::migrate_shared() {
  // The shared migrations grant to the group roles: they exist first.
  std::optional<std::string> error;
  try {
    co_await db::ensure_group_roles(pool_.session());
  } catch (const db::Error& e) {
    error = e.what();  // e.g. the migrating role may not create roles (it needs CREATEROLE)
  }
  if (error) {
    SchemaOutcome failed{"public"};
    failed.kind = SchemaOutcome::Kind::kFailed;
    failed.error = "cannot create the roles tenantry_tenants and tenantry_runtime: " + *error;
    co_return failed;
  }
  co_return co_await migrate_schema(db::SchemaName::public_schema(), shared_);
}

Task<SchemaOutcome> MigrationRunner::migrate_tenant(const db::SchemaName& schema) {
  return migrate_schema(schema, tenant_);
}

Task<SchemaOutcome> MigrationRunner::migrate_schema(db::SchemaName schema, const MigrationPlan& plan) {
  const auto start = std::chrono::steady_clock::now();
  SchemaOutcome outcome{schema.str()};
  const db::Session session(pool_, schema);
  const bool tenant = plan.scope() == Scope::kTenant;
  const std::string history = history_of(plan.scope(), schema.str());
  const std::string create_history = create_history_sql(plan.scope(), schema.str());
  const std::string find_applied = "SELECT checksum FROM " + history + " WHERE app = $1 AND name = $2";
  const std::string record = "INSERT INTO " + history + " (app, name, checksum) VALUES ($1, $2, $3)";
  // Under the lock, in one statement: the schema still exists (drop and rename take the same lock, so it
  // cannot vanish until commit), and the migration sees it alone on the search path (local to the
  // transaction), so that an unqualified CREATE can only land in the tenant schema. No row: vanished.
  const std::string enter_schema =
      "SELECT set_config('search_path', $2, true) FROM pg_namespace WHERE nspname = $1";
  const std::string only_schema = quoted(schema.str());
  bool vanished = false;
  try {
    const History before = co_await load_history(session, plan.scope());
    vanished = before.missing_schema;
    if (auto problems = problems_of(before.applied, plan); !problems.empty())
      throw MigrationError(problems.front());
    for (const Migration& m : plan.migrations()) {
      if (vanished) break;
      if (is_applied(before.applied, m)) continue;
      db::Transaction tx = co_await session.begin();
      co_await tx.query("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", db::kSchemaLockClass,
                        outcome.schema);
      if (tenant) {
        auto entered = co_await tx.query(enter_schema, schema, only_schema);
        if (entered.empty()) {
          vanished = true;
          co_await tx.rollback();
          break;
        }
      }
      co_await tx.query(create_history);
      // /readyz compares the shared history with the code as the request pools' role.
      if (!tenant) co_await tx.query("GRANT SELECT ON public.tenantry_shared_migrations TO tenantry_runtime");
      // Another runner may have applied it while we waited for the lock.
      auto again = co_await tx.query(find_applied, m.app, m.name);
      if (!again.empty()) {
        if (again.one().get<std::string>(0) != m.checksum)
          throw MigrationError("migration " + m.id() + " was changed after it was applied");
        co_await tx.commit();
        continue;
      }
      co_await apply_one(tx, m);
      // Default privileges grant what the owner creates; a migration run by another role (a superuser)
      // needs the grants spelled out.
      if (tenant) co_await db::grant_tenant_tables(tx, schema);
      co_await tx.query(record, m.app, m.name, m.checksum);
      co_await tx.commit();
      outcome.applied.push_back(m.id());
    }
    if (tenant && !vanished)
      co_await session.query(
          "UPDATE public.tenants SET migrations_digest = $1 WHERE schema_name = $2 AND "
          "migrations_digest IS DISTINCT FROM $1",
          plan.digest(), schema);
    outcome.kind = vanished                  ? SchemaOutcome::Kind::kSkipped
                   : outcome.applied.empty() ? SchemaOutcome::Kind::kCurrent
                                             : SchemaOutcome::Kind::kMigrated;
    if (vanished) outcome.error = "the schema no longer exists (the tenant was dropped or renamed)";
  } catch (const std::exception& e) {
    outcome.kind = SchemaOutcome::Kind::kFailed;
    outcome.error = e.what();
  }
  outcome.milliseconds = elapsed_ms(start);
  auto& stats = migration_stats();
  stats.applied += outcome.applied.size();
  stats.microseconds += static_cast<std::uint64_t>(outcome.milliseconds * 1000);
  if (outcome.kind == SchemaOutcome::Kind::kFailed)
    ++stats.schemas_failed;
  else if (outcome.kind == SchemaOutcome::Kind::kMigrated)
    ++stats.schemas_migrated;
  else if (outcome.kind == SchemaOutcome::Kind::kCurrent)
    ++stats.schemas_current;
  co_return outcome;
}

Task<std::vector<std::string>> MigrationRunner::unverified(const std::vector<std::string>& claimed) {
  constexpr std::size_t kChunk = 200;  // schemas per query
  const db::Session catalog(pool_);
  std::vector<std::string> out;
  for (std::size_t from = 0; from < claimed.size(); from += kChunk) {
    const std::size_t to = std::min(claimed.size(), from + kChunk);
    // One row per schema: the digest of its history, computed as MigrationPlan::history_digest() is.
    std::string sql;
    db::ParamList params;
    for (std::size_t i = from; i < to; ++i) {
      if (i > from) sql += " UNION ALL ";
      sql += "SELECT $" + std::to_string(i - from + 1) +
             "::text, encode(sha256(convert_to(coalesce(string_agg(app || '/' || name || ':' || checksum, "
             "E'\\n' ORDER BY app COLLATE \"C\", name COLLATE \"C\"), ''), 'UTF8')), 'hex') FROM " +
             history_of(Scope::kTenant, claimed[i]);
      params.add(claimed[i]);
    }
    bool unreadable = false;
    db::Result rows;
    try {
      rows = co_await catalog.execute(sql, std::move(params));
    } catch (const db::ServerError&) {
      unreadable = true;  // a history table or schema gone: let each schema's own run tell
    }
    if (unreadable) {
      out.insert(out.end(), claimed.begin() + static_cast<std::ptrdiff_t>(from),
                 claimed.begin() + static_cast<std::ptrdiff_t>(to));
      continue;
    }
    for (auto row : rows)
      if (row.get<std::string_view>(1) != tenant_.history_digest()) out.push_back(row.get<std::string>(0));
  }
  co_return out;
}

Task<FleetReport> MigrationRunner::migrate_tenants(const FleetOptions& options) {
  const db::Session catalog(pool_);
  // One query finds the tenants the catalog knows are not current; one more per few hundred of the others
  // checks that their histories agree: "nothing to do" costs no per-schema round trip.
  auto rows = co_await catalog.query(
      "SELECT schema_name, migrations_digest IS NOT DISTINCT FROM $1 FROM tenants "
      "WHERE state IN ('active', 'suspended', 'archived') ORDER BY id",
      tenant_.digest());
  std::vector<std::string> claimed;
  for (auto row : rows)
    if (row.get<bool>(1)) claimed.push_back(row.get<std::string>(0));
  const std::vector<std::string> unverified_schemas = co_await unverified(claimed);
  const std::set<std::string> stale(unverified_schemas.begin(), unverified_schemas.end());
  std::vector<std::string> schemas;
  for (auto row : rows) {
    auto schema = row.get<std::string>(0);
    if (!row.get<bool>(1) || stale.contains(schema)) schemas.push_back(std::move(schema));
  }

  FleetReport report;
  report.outcomes.resize(schemas.size());
  std::size_t next = 0, finished = 0;
  bool stop = false;
  const std::size_t jobs = std::max<std::size_t>(1, std::min(options.jobs, schemas.size()));
  // A named worker: the coroutine rule (tenantry/core/task.hpp).
  std::function<Task<void>(std::size_t)> worker = [&](std::size_t) -> Task<void> {
    while (!stop && next < schemas.size()) {
      const std::size_t i = next++;
      const db::SchemaName schema(schemas[i]);
      report.outcomes[i] = co_await migrate_schema(schema, tenant_);
      ++finished;
      if (report.outcomes[i].kind == SchemaOutcome::Kind::kFailed && options.fail_fast) stop = true;
      if (options.on_progress) options.on_progress(report.outcomes[i], finished, schemas.size());
    }
  };
  co_await run_concurrently(jobs, std::move(worker));
  report.outcomes.resize(std::min(report.outcomes.size(), next));
  std::erase_if(report.outcomes, [](const SchemaOutcome& o) { return o.schema.empty(); });
  co_return report;
}

Task<std::vector<SchemaStatus>> MigrationRunner::status(const std::optional<db::SchemaName>& only) {
  std::vector<std::pair<db::SchemaName, const MigrationPlan*>> targets;
  if (!only) targets.emplace_back(db::SchemaName::public_schema(), &shared_);
  const db::Session catalog(pool_);
  // An if, not `only ? co_await a : co_await b`: the coroutine rule (tenantry/core/task.hpp).
  db::Result rows;
  if (only)
    rows = co_await catalog.query("SELECT schema_name FROM tenants WHERE schema_name = $1", only->str());
  else
    rows = co_await catalog.query("SELECT schema_name FROM tenants ORDER BY id");
  if (only && rows.empty()) throw MigrationError("no tenant " + only->str());
  for (auto row : rows) targets.emplace_back(row.get<db::SchemaName>(0), &tenant_);

  std::vector<SchemaStatus> out(targets.size());
  std::size_t next = 0;
  std::function<Task<void>(std::size_t)> worker = [&](std::size_t) -> Task<void> {
    while (next < targets.size()) {
      const std::size_t i = next++;
      const auto& [schema, plan] = targets[i];
      SchemaStatus& s = out[i];
      s.schema = schema.str();
      const db::Session session(pool_, schema);
      History history = co_await load_history(session, plan->scope());
      s.missing = history.missing_schema;
      s.applied = std::move(history.applied);
      s.problems = problems_of(s.applied, *plan);
      if (s.missing) continue;  // nothing is pending in a schema that is gone
      for (const Migration& m : plan->migrations())
        if (!is_applied(s.applied, m)) s.pending.push_back(m.id());
    }
  };
  co_await run_concurrently(std::min<std::size_t>(4, targets.size()), std::move(worker));
  co_return out;
}

Task<void> MigrationRunner::apply_all(db::Transaction& tx, const MigrationPlan& plan) {
  // The migrations see the new schema alone, as in migrate_schema(); the caller's path comes back after.
  auto path = co_await tx.query("SELECT current_setting('search_path')");
  const std::string caller_path = path.one().get<std::string>(0);
  const std::string only_schema = quoted(tx.schema().str());
  co_await tx.query("SELECT set_config('search_path', $1, true)", only_schema);
  const std::string create_history = create_history_sql(Scope::kTenant, tx.schema().str());
  co_await tx.query(create_history);
  db::ParamList params;
  std::string insert =
      "INSERT INTO " + history_of(Scope::kTenant, tx.schema().str()) + " (app, name, checksum) VALUES ";
  int n = 0;
  for (const Migration& m : plan.migrations()) {
    co_await apply_one(tx, m);
    insert += (n ? ", (" : "(") + ("$" + std::to_string(n + 1)) + ", $" + std::to_string(n + 2) + ", $" +
              std::to_string(n + 3) + ")";
    params.add(m.app);
    params.add(m.name);
    params.add(m.checksum);
    n += 3;
  }
  if (n > 0) co_await tx.execute(insert, std::move(params));
  co_await tx.query("SELECT set_config('search_path', $1, true)", caller_path);
}

}  // namespace tenantry::migrations

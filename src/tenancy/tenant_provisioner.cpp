#include "tenantry/tenancy/tenant_provisioner.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "tenancy/detail/domain_rows.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::tenancy {

namespace {

// Same lock as the migration runner's: nobody migrates a schema while it is being built, renamed or dropped.
constexpr const char* kLockSchema = "SELECT pg_advisory_xact_lock(1413828180, hashtext($1))";
constexpr const char* kTryLockSchema = "SELECT pg_try_advisory_xact_lock(1413828180, hashtext($1))";

/// Copies every table's rows from `source` into the freshly migrated schema of `tx`, parents before children.
Task<void> copy_rows(db::Transaction& tx, const SchemaName& source, const SchemaName& target) {
  auto tables = co_await tx.query(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> 'tenantry_migrations' ORDER BY "
      "c.relname",
      source);
  auto fks = co_await tx.query(
      "SELECT child.relname, parent.relname FROM pg_constraint k "
      "JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid "
      "JOIN pg_namespace n ON n.oid = k.connamespace "
      "WHERE k.contype = 'f' AND n.nspname = $1 AND parent.relnamespace = n.oid AND child.oid <> parent.oid",
      source);
  std::map<std::string, std::set<std::string>> parents;
  for (auto t : tables) parents[t.get<std::string>(0)];
  for (auto fk : fks) parents[fk.get<std::string>(0)].insert(fk.get<std::string>(1));
  std::vector<std::string> order;
  while (!parents.empty()) {
    auto ready = std::find_if(parents.begin(), parents.end(), [](const auto& p) { return p.second.empty(); });
    if (ready == parents.end())
      throw ProvisioningError("cannot clone: foreign keys between tables form a cycle");
    const std::string table = ready->first;
    parents.erase(ready);
    for (auto& p : parents) p.second.erase(table);
    order.push_back(table);
  }
  const std::string src = tx.quote_identifier(source.str()), dst = tx.quote_identifier(target.str());
  for (const std::string& table : order) {
    auto columns = co_await tx.query(
        "SELECT a.attname, pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = "
        "c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated "
        "= '' "
        "ORDER BY a.attnum",
        source, table);
    std::string list;
    for (auto col : columns)
      list += (list.empty() ? "" : ", ") + tx.quote_identifier(col.get<std::string_view>(0));
    const std::string qt = tx.quote_identifier(table);
    co_await tx.execute_script("INSERT INTO " + dst + "." + qt + " (" + list +
                               ") OVERRIDING SYSTEM VALUE SELECT " + list + " FROM " + src + "." + qt);
    for (auto col : columns) {
      const auto source_sequence = col.get<std::optional<std::string>>(1);
      if (!source_sequence) continue;
      // Continue after the source's last value and after every copied row, whichever is higher.
      const auto column = col.get<std::string>(0);
      auto last = co_await tx.query("SELECT pg_sequence_last_value($1::regclass)", *source_sequence);
      auto max =
          co_await tx.execute("SELECT max(" + tx.quote_identifier(column) + ") FROM " + dst + "." + qt, {});
      const auto next = std::max(last.one().get<std::optional<std::int64_t>>(0).value_or(0),
                                 max.one().get<std::optional<std::int64_t>>(0).value_or(0));
      if (next > 0)
        co_await tx.query("SELECT setval(pg_get_serial_sequence($1, $2), $3)", dst + "." + qt, column, next);
    }
  }
}

}  // namespace

Task<TenantId> TenantProvisioner::reserve(const NewTenant& request) {
  if (request.name.empty() || request.name.size() > 200)
    throw ValidationError("name", "name must be 1 to 200 characters");
  if (has_control_characters(request.name))
    throw ValidationError("name", "name must not contain control characters such as line breaks");
  if (request.plan.empty()) throw ValidationError("plan", "plan must not be empty");
  const PublicHosts public_hosts(tenancy_);
  db::Transaction tx = co_await db::Session(pool_).begin();
  auto existing =
      co_await tx.query("SELECT id, state FROM tenants WHERE schema_name = $1 FOR UPDATE", request.schema);
  TenantId id;
  if (!existing.empty()) {
    const auto state = parse_tenant_state(existing.one().get<std::string_view>(1));
    if (state != TenantState::kProvisioning && state != TenantState::kFailed)
      throw TenantConflict("tenant '" + request.schema.str() + "' already exists");
    // Left by an attempt that failed or crashed, unless that attempt is still running.
    if (!(co_await tx.query(kTryLockSchema, request.schema)).one().get<bool>(0))
      throw TenantConflict("tenant '" + request.schema.str() + "' is being provisioned by another process");
    id = existing.one().get<TenantId>(0);
    co_await tx.query(
        "UPDATE tenants SET name = $2, plan = $3, state = 'provisioning', state_reason = NULL, updated_at = "
        "now() "
        "WHERE id = $1",
        id, request.name, request.plan);
    co_await tx.query("DELETE FROM domains WHERE tenant_id = $1", id);
  } else {
    id = (co_await tx.query("INSERT INTO tenants (schema_name, name, plan) VALUES ($1, $2, $3) RETURNING id",
                            request.schema, request.name, request.plan))
             .one()
             .get<TenantId>(0);
  }
  // Left over by hand or by an old bug: creating it would fail late, after the work, with a 500.
  if (!(co_await tx.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", request.schema)).empty())
    throw TenantConflict("a schema named '" + request.schema.str() + "' already exists in the database");
  for (std::size_t i = 0; i < request.domains.size(); ++i)
    co_await detail::insert_domain(tx, public_hosts, id, request.domains[i], i == 0);
  co_await tx.commit();
  co_return id;
}

ProvisioningStats& provisioning_stats() {
  static ProvisioningStats stats;
  return stats;
}

Task<void> TenantProvisioner::forget_reservation(TenantId id) {
  co_await db::Session(pool_).query("DELETE FROM tenants WHERE id = $1 AND state = 'provisioning'", id);
}

Task<Tenant> TenantProvisioner::finish(TenantId id, const SchemaName& schema,
                                       std::optional<SchemaName> copy_from,
                                       const ActivationHook& on_activate) {
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  std::exception_ptr hook_failure;
  try {
    db::Transaction tx = co_await db::Session(pool_, schema.str()).begin();
    co_await tx.query(kLockSchema, schema);
    co_await tx.execute_script("CREATE SCHEMA " + tx.quote_identifier(schema.str()));
    co_await migrations::MigrationRunner::apply_all(tx, plan_);
    if (copy_from) co_await copy_rows(tx, *copy_from, schema);
    co_await tx.query(
        "UPDATE public.tenants SET state = 'active', migrations_digest = $2, updated_at = now() WHERE id = "
        "$1",
        id, plan_.digest());
    if (on_activate) {
      try {
        co_await on_activate(tx, id);
      } catch (...) {
        hook_failure = std::current_exception();
      }
      if (hook_failure) std::rethrow_exception(hook_failure);
    }
    co_await tx.commit();
  } catch (const db::DuplicateSchema&) {
    error = "a schema named '" + schema.str() + "' already exists in the database";
  } catch (const std::exception& e) {
    error = e.what();
  }
  auto& stats = provisioning_stats();
  stats.microseconds += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
          .count());
  ++(error.empty() ? stats.created : stats.failed);
  if (!error.empty()) {
    // The schema went with the rolled-back transaction; remove the reservation too.
    co_await forget_reservation(id);
    if (hook_failure) std::rethrow_exception(hook_failure);
    throw ProvisioningError("cannot create tenant '" + schema.str() + "': " + error);
  }
  co_return co_await TenantCatalog(pool_).get(schema);
}

Task<Tenant> TenantProvisioner::create(const NewTenant& request, const ActivationHook& on_activate) {
  const TenantId id = co_await reserve(request);
  const auto start = std::chrono::steady_clock::now();
  bool from_spare = false;
  std::exception_ptr failure;
  try {
    from_spare = use_spares_ && co_await take_spare(id, request.schema, on_activate);
  } catch (...) {
    failure = std::current_exception();  // from on_activate: nothing committed
  }
  if (failure) {
    co_await forget_reservation(id);
    std::rethrow_exception(failure);
  }
  if (from_spare) {
    auto& stats = provisioning_stats();
    ++stats.created;
    ++stats.from_spare;
    stats.microseconds += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
            .count());
    co_return co_await TenantCatalog(pool_).get(request.schema);
  }
  co_return co_await finish(id, request.schema, std::nullopt, on_activate);
}

Task<bool> TenantProvisioner::take_spare(TenantId id, const SchemaName& schema,
                                         const ActivationHook& on_activate) {
  db::Transaction tx = co_await db::Session(pool_).begin();
  bool renamed = false;
  try {
    auto spare = co_await tx.query(
        "SELECT schema_name FROM tenant_spares WHERE migrations_digest = $1 ORDER BY created_at LIMIT 1 "
        "FOR UPDATE SKIP LOCKED",
        plan_.digest());
    if (spare.empty()) co_return false;
    const std::string name = spare.one().get<std::string>(0);
    co_await tx.query(kLockSchema, schema);
    co_await tx.execute_script("ALTER SCHEMA " + tx.quote_identifier(name) + " RENAME TO " +
                               tx.quote_identifier(schema.str()));
    co_await tx.query("DELETE FROM tenant_spares WHERE schema_name = $1", name);
    co_await tx.query(
        "UPDATE tenants SET state = 'active', migrations_digest = $2, updated_at = now() WHERE id = $1", id,
        plan_.digest());
    renamed = true;
  } catch (const db::Error&) {
    // e.g. a schema of that name exists: the full path reports it properly
  }
  if (!renamed) co_return false;
  // Outside the try: the hook's errors are the caller's, not a reason to fall back to the full path.
  if (on_activate) co_await on_activate(tx, id);
  co_await tx.commit();
  co_return true;
}

Task<std::size_t> TenantProvisioner::refill_spares(std::size_t count) {
  const db::Session public_db(pool_);
  auto stale = co_await public_db.query("SELECT schema_name FROM tenant_spares WHERE migrations_digest <> $1",
                                        plan_.digest());
  for (auto row : stale) {
    const std::string name = row.get<std::string>(0);
    db::Transaction tx = co_await public_db.begin();
    auto locked =
        co_await tx.query("SELECT 1 FROM tenant_spares WHERE schema_name = $1 FOR UPDATE SKIP LOCKED", name);
    if (locked.empty()) continue;
    co_await tx.execute_script("DROP SCHEMA IF EXISTS " + tx.quote_identifier(name) + " CASCADE");
    co_await tx.query("DELETE FROM tenant_spares WHERE schema_name = $1", name);
    co_await tx.commit();
  }
  auto have = co_await public_db.query("SELECT count(*) FROM tenant_spares WHERE migrations_digest = $1",
                                       plan_.digest());
  std::size_t created = 0;
  for (auto n = static_cast<std::size_t>(have.one().get<std::int64_t>(0)); n < count; ++n, ++created) {
    unsigned char random[8];
    std::random_device rd;
    for (auto& b : random) b = static_cast<unsigned char>(rd());
    std::string name = "tenantry_spare_";
    for (auto b : random) name += "0123456789abcdef"[b >> 4], name += "0123456789abcdef"[b & 15];
    db::Transaction tx = co_await db::Session(pool_, name).begin();
    co_await tx.execute_script("CREATE SCHEMA " + tx.quote_identifier(name));
    co_await migrations::MigrationRunner::apply_all(tx, plan_);
    co_await tx.query("INSERT INTO public.tenant_spares (schema_name, migrations_digest) VALUES ($1, $2)",
                      name, plan_.digest());
    co_await tx.commit();
  }
  co_return created;
}

Task<Tenant> TenantProvisioner::clone(const SchemaName& source, const SchemaName& target,
                                      std::optional<std::string> name) {
  const Tenant src = co_await TenantCatalog(pool_).get(source);
  if (src.state == TenantState::kProvisioning || src.state == TenantState::kFailed)
    throw TenantConflict("tenant '" + source.str() + "' is " + std::string(to_string(src.state)) +
                         " and cannot be cloned");
  auto digest =
      co_await db::Session(pool_).query("SELECT migrations_digest FROM tenants WHERE id = $1", src.id);
  if (digest.one().get<std::optional<std::string>>(0) != plan_.digest())
    throw ProvisioningError("tenant '" + source.str() +
                            "' has pending migrations: run `tenantry migrate` first");
  // A named request: GCC 12 mishandles braced temporaries inside co_await expressions.
  const NewTenant request{target, name.value_or(src.name + " (copy)"), {}, src.plan};
  const TenantId id = co_await reserve(request);
  const ActivationHook none;
  co_return co_await finish(id, target, source, none);
}

Task<void> TenantProvisioner::rename(const SchemaName& from, const SchemaName& to) {
  db::Transaction tx = co_await db::Session(pool_).begin();
  auto rows = co_await tx.query("SELECT id, state FROM tenants WHERE schema_name = $1 FOR UPDATE", from);
  if (rows.empty()) throw TenantNotFound("no tenant '" + from.str() + "'");
  if (rows.one().get<std::string_view>(1) == "provisioning")
    throw TenantConflict("tenant '" + from.str() + "' is being provisioned");
  if (!(co_await tx.query("SELECT 1 FROM tenants WHERE schema_name = $1", to)).empty())
    throw TenantConflict("tenant '" + to.str() + "' already exists");
  if (!(co_await tx.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", to)).empty())
    throw TenantConflict("a schema named '" + to.str() + "' already exists in the database");
  co_await tx.query(kLockSchema, from);
  co_await tx.query(kLockSchema, to);
  co_await tx.execute_script("ALTER SCHEMA " + tx.quote_identifier(from.str()) + " RENAME TO " +
                             tx.quote_identifier(to.str()));
  co_await tx.query("UPDATE tenants SET schema_name = $2, updated_at = now() WHERE id = $1",
                    rows.one().get<TenantId>(0), to);
  co_await tx.commit();
}

Task<void> TenantProvisioner::drop(const SchemaName& schema) {
  db::Transaction tx = co_await db::Session(pool_).begin();
  auto rows = co_await tx.query("SELECT id FROM tenants WHERE schema_name = $1 FOR UPDATE", schema);
  if (rows.empty()) throw TenantNotFound("no tenant '" + schema.str() + "'");
  co_await tx.query(kLockSchema, schema);
  co_await tx.execute_script("DROP SCHEMA IF EXISTS " + tx.quote_identifier(schema.str()) + " CASCADE");
  co_await tx.query("DELETE FROM tenants WHERE id = $1", rows.one().get<TenantId>(0));
  co_await tx.commit();
}

}  // namespace tenantry::tenancy

#include "tenantry/tenancy/tenant_provisioner.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tenancy/detail/domain_rows.hpp"
#include "tenancy/detail/schema_copy.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/schema_lock.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/db/tenant_roles.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::tenancy {

namespace {

// Same lock as the migration runner's: nobody migrates a schema while it is being built, renamed or dropped.
// $1 is db::kSchemaLockClass, $2 the schema.
constexpr const char* kLockSchema = "SELECT pg_advisory_xact_lock($1::int, hashtext($2))";
constexpr const char* kTryLockSchema = "SELECT pg_try_advisory_xact_lock($1::int, hashtext($2))";

/// Marks a reserved tenant active, in the transaction that built its schema. No row: the reservation was
/// removed meanwhile (recover_abandoned() took it for dead), and the schema must go with the transaction.
Task<void> activate(db::Transaction& tx, TenantId id, const db::SchemaName& schema,
                    const std::string& digest) {
  const std::string role = db::tenant_role_name(tx.database(), schema);
  const db::Result updated = co_await tx.query(
      "UPDATE public.tenants SET state = 'active', migrations_digest = $2, db_role = $3, updated_at = now() "
      "WHERE id = $1 AND state = 'provisioning'",
      id, digest, role);
  if (updated.affected_rows() != 1) throw ProvisioningError("its reservation was removed meanwhile");
}

/// A spare's name (tenantry_spare_<hex>) as a schema name: Tenantry's own, past the tenant rules.
db::SchemaName spare_schema(std::string_view name) {
  constexpr std::string_view kPrefix = "tenantry_";
  return db::SchemaName::tenantry_owned(name.substr(kPrefix.size()));
}

// A provisioning row younger than this may belong to an attempt between its reservation and its schema lock.
constexpr const char* kAbandonedCandidates =
    "SELECT id, schema_name FROM tenants WHERE state = 'provisioning' AND updated_at < now() - interval '2 "
    "seconds' ORDER BY id LIMIT 100";

}  // namespace

Task<TenantId> TenantProvisioner::reserve(const NewTenant& request) {
  if (request.name.empty() || request.name.size() > 200)
    throw ValidationError("name", "name must be 1 to 200 characters");
  if (has_control_characters(request.name))
    throw ValidationError("name", "name must not contain control characters such as line breaks");
  if (request.plan.empty()) throw ValidationError("plan", "plan must not be empty");
  const PublicHosts public_hosts(tenancy_);
  db::Transaction tx = co_await pool_.session().begin();
  auto existing =
      co_await tx.query("SELECT id, state FROM tenants WHERE schema_name = $1 FOR UPDATE", request.schema);
  TenantId id;
  if (!existing.empty()) {
    const auto state = parse_tenant_state(existing.one().get<std::string_view>(1));
    if (state != TenantState::kProvisioning && state != TenantState::kFailed)
      throw TenantConflict("tenant '" + request.schema.str() + "' already exists");
    // Left by an attempt that failed or crashed, unless that attempt is still running.
    if (!(co_await tx.query(kTryLockSchema, db::kSchemaLockClass, request.schema)).one().get<bool>(0))
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
  co_await pool_.session().query("DELETE FROM tenants WHERE id = $1 AND state = 'provisioning'", id);
}

Task<Tenant> TenantProvisioner::finish(TenantId id, const db::SchemaName& schema,
                                       std::optional<db::SchemaName> copy_from,
                                       const ActivationHook& on_activate) {
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  std::exception_ptr hook_failure;
  try {
    const db::Session session(pool_, schema);
    db::Transaction tx = co_await session.begin();
    co_await tx.query(kLockSchema, db::kSchemaLockClass, schema);
    const std::string create_schema = "CREATE SCHEMA " + tx.quote_identifier(schema.str());
    co_await tx.execute_script(create_schema);
    // A clone copies the source's whole schema, its migration history included.
    if (copy_from)
      co_await detail::copy_schema(tx, *copy_from, schema);
    else
      co_await migrations::MigrationRunner::apply_all(tx, plan_);
    // Its role, in the same transaction: a tenant never exists without it.
    co_await db::grant_tenant_role(tx, schema);
    co_await activate(tx, id, schema, plan_.digest());
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
  const TenantCatalog catalog(pool_);
  co_return co_await catalog.get(schema);
}

Task<Tenant> TenantProvisioner::create(const NewTenant& request, const ActivationHook& on_activate) {
  const TenantId id = co_await reserve(request);
  const auto start = std::chrono::steady_clock::now();
  bool from_spare = false;
  std::exception_ptr failure;
  try {
    if (use_spares_) from_spare = co_await take_spare(id, request.schema, on_activate);
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
    const TenantCatalog catalog(pool_);
    co_return co_await catalog.get(request.schema);
  }
  co_return co_await finish(id, request.schema, std::nullopt, on_activate);
}

Task<bool> TenantProvisioner::take_spare(TenantId id, const db::SchemaName& schema,
                                         const ActivationHook& on_activate) {
  db::Transaction tx = co_await pool_.session().begin();
  bool renamed = false;
  try {
    auto spare = co_await tx.query(
        "SELECT schema_name FROM tenant_spares WHERE migrations_digest = $1 ORDER BY created_at LIMIT 1 "
        "FOR UPDATE SKIP LOCKED",
        plan_.digest());
    if (spare.empty()) co_return false;
    const std::string name = spare.one().get<std::string>(0);
    co_await tx.query(kLockSchema, db::kSchemaLockClass, schema);
    const std::string rename =
        "ALTER SCHEMA " + tx.quote_identifier(name) + " RENAME TO " + tx.quote_identifier(schema.str());
    co_await tx.execute_script(rename);
    const db::SchemaName spare_name = spare_schema(name);  // named: the coroutine rule (core/task.hpp)
    co_await db::rename_tenant_role(tx, spare_name, schema);
    co_await tx.query("DELETE FROM tenant_spares WHERE schema_name = $1", name);
    co_await activate(tx, id, schema, plan_.digest());
    renamed = true;
  } catch (const db::Error&) {
    // e.g. a schema of that name exists: the full path reports it properly
  } catch (const ProvisioningError&) {
    // the reservation is gone: the full path fails the same way, with the reason
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
    const std::string drop = "DROP SCHEMA IF EXISTS " + tx.quote_identifier(name) + " CASCADE";
    co_await tx.execute_script(drop);
    const db::SchemaName spare = spare_schema(name);  // named: the coroutine rule
    co_await db::drop_tenant_role(tx, spare);
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
    std::string suffix = "spare_";
    for (auto b : random) suffix += "0123456789abcdef"[b >> 4], suffix += "0123456789abcdef"[b & 15];
    const db::SchemaName spare = db::SchemaName::tenantry_owned(suffix);
    const std::string& name = spare.str();
    const db::Session session(pool_, spare);
    db::Transaction tx = co_await session.begin();
    const std::string create = "CREATE SCHEMA " + tx.quote_identifier(name);
    co_await tx.execute_script(create);
    co_await migrations::MigrationRunner::apply_all(tx, plan_);
    // Made with its role, renamed with it when taken.
    co_await db::grant_tenant_role(tx, spare);
    co_await tx.query("INSERT INTO public.tenant_spares (schema_name, migrations_digest) VALUES ($1, $2)",
                      name, plan_.digest());
    co_await tx.commit();
  }
  co_return created;
}

Task<Tenant> TenantProvisioner::clone(const db::SchemaName& source, const db::SchemaName& target,
                                      std::optional<std::string> name, const ActivationHook& on_activate) {
  const TenantCatalog catalog(pool_);
  const Tenant src = co_await catalog.get(source);
  if (src.state == TenantState::kProvisioning || src.state == TenantState::kFailed ||
      src.state == TenantState::kDropping)
    throw TenantConflict("tenant '" + source.str() + "' is " + std::string(to_string(src.state)) +
                         " and cannot be cloned");
  auto digest = co_await pool_.session().query("SELECT migrations_digest FROM tenants WHERE id = $1", src.id);
  if (digest.one().get<std::optional<std::string>>(0) != plan_.digest())
    throw ProvisioningError("tenant '" + source.str() +
                            "' has pending migrations: run `tenantry migrate` first");
  // Named: the coroutine rule (tenantry/core/task.hpp).
  const NewTenant request{target, name.value_or(src.name + " (copy)"), {}, src.plan};
  const TenantId id = co_await reserve(request);
  co_return co_await finish(id, target, source, on_activate);
}

Task<void> TenantProvisioner::rename(const db::SchemaName& from, const db::SchemaName& to,
                                     const TransactionHook& on_rename) {
  db::Transaction tx = co_await pool_.session().begin();
  auto rows = co_await tx.query("SELECT id, state FROM tenants WHERE schema_name = $1 FOR UPDATE", from);
  if (rows.empty()) throw TenantNotFound("no tenant '" + from.str() + "'");
  if (const auto state = rows.one().get<std::string_view>(1); state == "provisioning" || state == "dropping")
    throw TenantConflict("tenant '" + from.str() + "' is " + std::string(state));
  if (!(co_await tx.query("SELECT 1 FROM tenants WHERE schema_name = $1", to)).empty())
    throw TenantConflict("tenant '" + to.str() + "' already exists");
  if (!(co_await tx.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", to)).empty())
    throw TenantConflict("a schema named '" + to.str() + "' already exists in the database");
  co_await tx.query(kLockSchema, db::kSchemaLockClass, from);
  co_await tx.query(kLockSchema, db::kSchemaLockClass, to);
  const std::string rename =
      "ALTER SCHEMA " + tx.quote_identifier(from.str()) + " RENAME TO " + tx.quote_identifier(to.str());
  co_await tx.execute_script(rename);
  co_await db::rename_tenant_role(tx, from, to);
  const std::string role = db::tenant_role_name(tx.database(), to);
  co_await tx.query("UPDATE tenants SET schema_name = $2, db_role = $3, updated_at = now() WHERE id = $1",
                    rows.one().get<TenantId>(0), to, role);
  if (on_rename) co_await on_rename(tx);
  co_await tx.commit();
}

Task<TenantState> TenantProvisioner::take_out_of_service(const db::SchemaName& schema) {
  const db::Session public_db(pool_);
  db::Transaction tx = co_await public_db.begin();
  auto rows = co_await tx.query("SELECT state FROM tenants WHERE schema_name = $1 FOR UPDATE", schema);
  if (rows.empty()) throw TenantNotFound("no tenant '" + schema.str() + "'");
  const TenantState before = parse_tenant_state(rows.one().get<std::string_view>(0));
  if (before == TenantState::kProvisioning)
    throw TenantConflict("tenant '" + schema.str() + "' is being provisioned");
  // The catalog trigger's NOTIFY goes out at commit: every server stops routing the tenant.
  co_await tx.query("UPDATE tenants SET state = 'dropping', updated_at = now() WHERE schema_name = $1",
                    schema);
  co_await tx.commit();
  co_return before;
}

Task<void> TenantProvisioner::drop(const db::SchemaName& schema, const TransactionHook& on_drop,
                                   std::chrono::milliseconds drain) {
  const TenantState before = co_await take_out_of_service(schema);
  const db::Session public_db(pool_);
  // Servers reload their catalog within milliseconds of the NOTIFY; the pause lets requests that resolved
  // the tenant just before finish, instead of meeting half-dropped tables.
  boost::asio::steady_timer pause(pool_.io());
  pause.expires_after(drain);
  co_await pause.async_wait(boost::asio::use_awaitable);
  std::exception_ptr failure;
  try {
    db::Transaction tx = co_await public_db.begin();
    auto rows = co_await tx.query("SELECT id FROM tenants WHERE schema_name = $1 FOR UPDATE", schema);
    if (rows.empty()) throw TenantNotFound("no tenant '" + schema.str() + "'");
    co_await tx.query(kLockSchema, db::kSchemaLockClass, schema);
    const std::string drop_schema = "DROP SCHEMA IF EXISTS " + tx.quote_identifier(schema.str()) + " CASCADE";
    co_await tx.execute_script(drop_schema);
    co_await db::drop_tenant_role(tx, schema);
    co_await tx.query("DELETE FROM tenants WHERE id = $1", rows.one().get<TenantId>(0));
    if (on_drop) co_await on_drop(tx);
    co_await tx.commit();
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure) co_return;
  // Nothing was dropped: back in service as it was (unless a crashed earlier drop had left it dropping).
  const std::string state(to_string(before));
  co_await public_db.query(
      "UPDATE tenants SET state = $2, updated_at = now() WHERE schema_name = $1 AND state = 'dropping'",
      schema, state);
  std::rethrow_exception(failure);
}

Task<bool> TenantProvisioner::remove_if_abandoned(TenantId id, const db::SchemaName& schema) {
  const db::Session public_db(pool_);
  db::Transaction tx = co_await public_db.begin();
  auto row = co_await tx.query(
      "SELECT 1 FROM tenants WHERE id = $1 AND state = 'provisioning' FOR UPDATE SKIP LOCKED", id);
  if (row.empty()) co_return false;
  // Held by the attempt's transaction until it ends: taken, the attempt is over.
  if (!(co_await tx.query(kTryLockSchema, db::kSchemaLockClass, schema)).one().get<bool>(0)) co_return false;
  // A schema by that name is no attempt's (it would have committed the row active): not ours to judge.
  if (!(co_await tx.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema)).empty()) co_return false;
  co_await tx.query("DELETE FROM tenants WHERE id = $1", id);
  co_await tx.commit();
  co_return true;
}

Task<std::vector<db::SchemaName>> TenantProvisioner::recover_abandoned() {
  const db::Session public_db(pool_);
  auto candidates = co_await public_db.query(kAbandonedCandidates);
  std::vector<db::SchemaName> removed;
  for (auto row : candidates) {
    const auto id = row.get<TenantId>(0);
    auto schema = row.get<db::SchemaName>(1);
    if (!co_await remove_if_abandoned(id, schema)) continue;
    spdlog::warn("removed tenant '{}': its provisioning was abandoned (the process creating it died)",
                 schema.str());
    removed.push_back(std::move(schema));
  }
  co_return removed;
}

}  // namespace tenantry::tenancy

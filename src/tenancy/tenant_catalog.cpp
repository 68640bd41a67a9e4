#include "tenantry/tenancy/tenant_catalog.hpp"

#include <map>

#include "tenancy/detail/domain_rows.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"

namespace tenantry::tenancy {

namespace {

constexpr std::string_view kStates[] = {"provisioning", "active", "suspended",
                                        "archived",     "failed", "dropping"};

constexpr const char* kSelectTenants =
    "SELECT t.id, t.schema_name, t.name, t.state, t.plan, t.settings::text, t.state_reason, t.created_at, "
    "t.updated_at, coalesce(json_agg(json_build_array(d.domain, d.is_primary) ORDER BY d.is_primary DESC, "
    "d.id) "
    "FILTER (WHERE d.id IS NOT NULL), '[]')::text, t.migrations_digest, t.maintenance_since, "
    "t.maintenance_retry_after, t.maintenance_message "
    "FROM tenants t LEFT JOIN domains d ON d.tenant_id = t.id ";

// Domains come back as a JSON array of [domain, is_primary] pairs; domains hold no quotes or backslashes.
std::vector<Domain> parse_domains(std::string_view json) {
  std::vector<Domain> out;
  std::size_t pos = 0;
  while ((pos = json.find("[\"", pos)) != std::string_view::npos) {
    const std::size_t end = json.find('"', pos + 2);
    Domain d{std::string(json.substr(pos + 2, end - pos - 2)), false};
    d.is_primary = json.substr(end, 8).find("true") != std::string_view::npos;
    out.push_back(std::move(d));
    pos = end;
  }
  return out;
}

Tenant tenant_from(const db::Row& row) {
  Tenant t{row.get<TenantId>(0),
           row.get<db::SchemaName>(1),
           row.get<std::string>(2),
           parse_tenant_state(row.get<std::string_view>(3)),
           row.get<std::string>(4),
           row.get<std::string>(5),
           row.get<std::optional<std::string>>(6),
           row.get<db::Timestamp>(7),
           row.get<db::Timestamp>(8),
           {}};
  t.domains = parse_domains(row.text(9));
  t.migrations_digest = row.get<std::optional<std::string>>(10);
  if (const auto since = row.get<std::optional<db::Timestamp>>(11))
    t.maintenance = Maintenance{*since, row.get<int>(12), row.get<std::optional<std::string>>(13)};
  return t;
}

/// The tenant's state, its row locked for the rest of `tx`; TenantNotFound when there is none.
Task<TenantState> locked_state(db::Transaction& tx, const db::SchemaName& schema) {
  auto rows = co_await tx.query("SELECT state FROM tenants WHERE schema_name = $1 FOR UPDATE", schema);
  if (rows.empty()) throw TenantNotFound("no tenant '" + schema.str() + "'");
  co_return parse_tenant_state(rows.one().get<std::string_view>(0));
}

}  // namespace

std::string_view to_string(TenantState state) {
  return kStates[static_cast<int>(state)];
}

TenantState parse_tenant_state(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kStates)); ++i)
    if (kStates[i] == name) return static_cast<TenantState>(i);
  throw ValidationError("state", "unknown tenant state '" + std::string(name) + "'");
}

std::optional<std::string> Tenant::primary_domain() const {
  for (const auto& d : domains)
    if (d.is_primary) return d.domain;
  return std::nullopt;
}

Task<std::vector<Tenant>> TenantCatalog::list() const {
  const std::string sql = std::string(kSelectTenants) + "GROUP BY t.id ORDER BY t.id";
  auto rows = co_await pool_.session().query(sql);
  std::vector<Tenant> out;
  out.reserve(rows.size());
  for (auto row : rows) out.push_back(tenant_from(row));
  co_return out;
}

Task<std::optional<Tenant>> TenantCatalog::find(const db::SchemaName& schema) const {
  const std::string sql = std::string(kSelectTenants) + "WHERE t.schema_name = $1 GROUP BY t.id";
  auto rows = co_await pool_.session().query(sql, schema);
  if (rows.empty()) co_return std::nullopt;
  co_return tenant_from(rows.one());
}

Task<Tenant> TenantCatalog::get(const db::SchemaName& schema) const {
  auto t = co_await find(schema);
  if (!t) throw TenantNotFound("no tenant '" + schema.str() + "'");
  co_return std::move(*t);
}

Task<void> TenantCatalog::change_state(const db::SchemaName& schema, TenantState to,
                                       std::vector<TenantState> from, std::optional<std::string> reason,
                                       TransactionHook on_change) {
  db::Transaction tx = co_await pool_.session().begin();
  const TenantState current = co_await locked_state(tx, schema);
  if (current == to) co_return;  // already there: idempotent
  if (std::find(from.begin(), from.end(), current) == from.end())
    throw TenantConflict("tenant '" + schema.str() + "' is " + std::string(to_string(current)) +
                         " and cannot become " + std::string(to_string(to)));
  co_await tx.query(
      "UPDATE tenants SET state = $2, state_reason = $3, updated_at = now() WHERE schema_name = $1", schema,
      std::string(to_string(to)), reason);
  if (on_change) co_await on_change(tx);
  co_await tx.commit();
}

Task<void> TenantCatalog::suspend(const db::SchemaName& schema, std::optional<std::string> reason,
                                  TransactionHook on_change) {
  return change_state(schema, TenantState::kSuspended, {TenantState::kActive}, std::move(reason),
                      std::move(on_change));
}
Task<void> TenantCatalog::resume(const db::SchemaName& schema, TransactionHook on_change) {
  return change_state(schema, TenantState::kActive, {TenantState::kSuspended, TenantState::kArchived}, {},
                      std::move(on_change));
}
Task<void> TenantCatalog::archive(const db::SchemaName& schema, TransactionHook on_change) {
  return change_state(schema, TenantState::kArchived, {TenantState::kActive, TenantState::kSuspended}, {},
                      std::move(on_change));
}

Task<void> TenantCatalog::update(const db::SchemaName& schema, std::optional<std::string> name,
                                 std::optional<std::string> plan) {
  if (name && (name->empty() || name->size() > 200))
    throw ValidationError("name", "name must be 1 to 200 characters");
  if (name && has_control_characters(*name))
    throw ValidationError("name", "name must not contain control characters such as line breaks");
  auto r = co_await pool_.session().query(
      "UPDATE tenants SET name = coalesce($2, name), plan = coalesce($3, plan), updated_at = now() "
      "WHERE schema_name = $1",
      schema, name, plan);
  if (r.affected_rows() == 0) throw TenantNotFound("no tenant '" + schema.str() + "'");
}

Task<void> TenantCatalog::start_maintenance(const db::SchemaName& schema, int retry_after_seconds,
                                            std::optional<std::string> message, TransactionHook on_change) {
  if (retry_after_seconds < 1 || retry_after_seconds > 86400)
    throw ValidationError("retry_after", "retry_after must be 1 to 86400 seconds");
  if (message && (message->empty() || message->size() > 500 || has_control_characters(*message)))
    throw ValidationError("message", "message must be 1 to 500 characters without control characters");
  // A window already open keeps its start: changing the message or the retry hint does not restart it.
  return set_maintenance(schema,
                         "UPDATE tenants SET maintenance_since = coalesce(maintenance_since, now()), "
                         "maintenance_retry_after = $2, maintenance_message = $3, updated_at = now() "
                         "WHERE schema_name = $1 AND state = 'active'",
                         retry_after_seconds, std::move(message), std::move(on_change));
}

Task<void> TenantCatalog::end_maintenance(const db::SchemaName& schema, TransactionHook on_change) {
  return set_maintenance(schema,
                         "UPDATE tenants SET maintenance_since = NULL, maintenance_retry_after = NULL, "
                         "maintenance_message = NULL, updated_at = now() "
                         "WHERE schema_name = $1 AND maintenance_since IS NOT NULL",
                         std::nullopt, std::nullopt, std::move(on_change));
}

Task<void> TenantCatalog::set_maintenance(const db::SchemaName& schema, const char* update,
                                          std::optional<int> retry_after, std::optional<std::string> message,
                                          TransactionHook on_change) {
  db::Transaction tx = co_await pool_.session().begin();
  const TenantState state = co_await locked_state(tx, schema);
  std::int64_t changed = 0;
  if (retry_after) {
    auto result = co_await tx.query(update, schema, *retry_after, message);
    changed = result.affected_rows();
  } else {
    auto result = co_await tx.query(update, schema);
    changed = result.affected_rows();
  }
  if (changed == 0) {
    if (retry_after)  // only an active tenant serves, so only an active one has a window to open
      throw TenantConflict("tenant '" + schema.str() + "' is " + std::string(to_string(state)) +
                           "; only an active tenant can be put in maintenance");
    co_return;  // not in maintenance: idempotent
  }
  if (on_change) co_await on_change(tx);
  co_await tx.commit();
}

Task<void> detail::insert_domain(db::Transaction& tx, const PublicHosts& public_hosts, TenantId tenant,
                                 const DomainName& domain, bool primary) {
  public_hosts.check_tenant_domain(domain);
  bool taken = false;
  try {
    co_await tx.query(
        "INSERT INTO domains (domain, tenant_id, is_primary) "
        "VALUES ($1, $2, $3 OR NOT EXISTS (SELECT 1 FROM domains WHERE tenant_id = $2))",
        domain, tenant, primary);
  } catch (const db::UniqueViolation&) {
    taken = true;
  }
  if (taken) throw TenantConflict("domain '" + domain.str() + "' is already in use");
}

Task<void> TenantCatalog::add_domain(const db::SchemaName& schema, const DomainName& domain, bool primary) {
  const PublicHosts public_hosts(tenancy_);
  db::Transaction tx = co_await pool_.session().begin();
  auto t = co_await tx.query("SELECT id FROM tenants WHERE schema_name = $1 FOR UPDATE", schema);
  if (t.empty()) throw TenantNotFound("no tenant '" + schema.str() + "'");
  const auto id = t.one().get<TenantId>(0);
  if (primary)
    co_await tx.query("UPDATE domains SET is_primary = false WHERE tenant_id = $1 AND is_primary", id);
  co_await detail::insert_domain(tx, public_hosts, id, domain, primary);
  co_await tx.commit();
}

Task<void> TenantCatalog::remove_domain(const DomainName& domain) {
  db::Transaction tx = co_await pool_.session().begin();
  auto r = co_await tx.query("DELETE FROM domains WHERE domain = $1 RETURNING tenant_id, is_primary", domain);
  if (r.empty()) throw TenantNotFound("no domain '" + domain.str() + "'");
  if (r.one().get<bool>(1))
    co_await tx.query(
        "UPDATE domains SET is_primary = true WHERE id = (SELECT id FROM domains WHERE tenant_id = $1 ORDER "
        "BY id "
        "LIMIT 1)",
        r.one().get<TenantId>(0));
  co_await tx.commit();
}

Task<void> TenantCatalog::set_primary(const DomainName& domain) {
  db::Transaction tx = co_await pool_.session().begin();
  auto r = co_await tx.query("SELECT tenant_id FROM domains WHERE domain = $1 FOR UPDATE", domain);
  if (r.empty()) throw TenantNotFound("no domain '" + domain.str() + "'");
  const auto id = r.one().get<TenantId>(0);
  co_await tx.query("UPDATE domains SET is_primary = false WHERE tenant_id = $1 AND is_primary", id);
  co_await tx.query("UPDATE domains SET is_primary = true WHERE domain = $1", domain);
  co_await tx.commit();
}

}  // namespace tenantry::tenancy

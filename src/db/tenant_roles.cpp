#include "tenantry/db/tenant_roles.hpp"

#include <cstdint>
#include <vector>

#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/db/transaction.hpp"

namespace tenantry::db {

namespace {

constexpr std::size_t kMaxRoleBytes = 63;  // NAMEDATALEN - 1
constexpr std::size_t kKeptBytes = 54;     // + '#' + 8 hex digits = 63

// FNV-1a: a stable spelling for a name too long to keep whole, not a secret.
std::uint32_t name_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

constexpr const char* kRoleExists = "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1";

Task<bool> role_exists(Transaction& tx, const std::string& role) {
  co_return !(co_await tx.query(kRoleExists, role)).empty();
}

/// Runs each statement as a query of its own: Citus forwards some utility statements' whole query string to
/// its workers, and statements built into named strings keep the coroutine rule (tenantry/core/task.hpp).
Task<void> run_each(Transaction& tx, const std::vector<std::string>& statements) {
  for (const std::string& statement : statements) co_await tx.execute_script(statement);
}

}  // namespace

std::string tenant_role_name(std::string_view database, const SchemaName& schema) {
  std::string full = schema.str() + "@" + std::string(database);
  if (full.size() <= kMaxRoleBytes) return full;
  std::size_t keep = kKeptBytes;
  while (keep > 0 && (static_cast<unsigned char>(full[keep]) & 0xC0) == 0x80) --keep;  // whole characters
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint32_t hash = name_hash(full);
  std::string out = full.substr(0, keep) + "#";
  for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(hash >> shift) & 15];
  return out;
}

Task<void> ensure_group_roles(const Session& session) {
  struct Group {
    std::string_view name;
    const char* create;
  };
  static constexpr Group kGroups[] = {
      {kTenantsGroup, "CREATE ROLE tenantry_tenants NOLOGIN"},
      {kRuntimeGroup, "CREATE ROLE tenantry_runtime NOLOGIN NOINHERIT"},
  };
  for (const Group& group : kGroups) {
    const std::string name(group.name);
    if (!(co_await session.query(kRoleExists, name)).empty()) continue;
    try {
      co_await session.execute_script(group.create);
    } catch (const DuplicateObject&) {
      // another database's migration created it meanwhile
    } catch (const UniqueViolation&) {
      // the same race, caught by pg_authid's index instead
    }
  }
}

Task<void> grant_tenant_role(Transaction& tx, const SchemaName& schema) {
  const std::string name = tenant_role_name(tx.database(), schema);
  const std::string role = tx.quote_identifier(name);
  const std::string in_schema = tx.quote_identifier(schema.str());
  std::vector<std::string> statements;
  if (!co_await role_exists(tx, name)) statements.push_back("CREATE ROLE " + role + " NOLOGIN INHERIT");
  statements.push_back("GRANT tenantry_tenants TO " + role);
  statements.push_back("GRANT " + role + " TO tenantry_runtime");
  statements.push_back("GRANT USAGE ON SCHEMA " + in_schema + " TO " + role);
  statements.push_back("ALTER DEFAULT PRIVILEGES IN SCHEMA " + in_schema +
                       " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + role);
  statements.push_back("ALTER DEFAULT PRIVILEGES IN SCHEMA " + in_schema +
                       " GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO " + role);
  co_await run_each(tx, statements);
  co_await grant_tenant_tables(tx, schema);
}

Task<void> grant_tenant_tables(Transaction& tx, const SchemaName& schema) {
  const std::string name = tenant_role_name(tx.database(), schema);
  if (!co_await role_exists(tx, name)) co_return;
  const std::string role = tx.quote_identifier(name);
  const std::string in_schema = tx.quote_identifier(schema.str());
  const std::vector<std::string> statements{
      "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + in_schema + " TO " + role,
      "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA " + in_schema + " TO " + role};
  co_await run_each(tx, statements);
}

Task<void> rename_tenant_role(Transaction& tx, const SchemaName& from, const SchemaName& to) {
  const std::string old_name = tenant_role_name(tx.database(), from);
  if (!co_await role_exists(tx, old_name)) {
    co_await grant_tenant_role(tx, to);
    co_return;
  }
  const std::string rename = "ALTER ROLE " + tx.quote_identifier(old_name) + " RENAME TO " +
                             tx.quote_identifier(tenant_role_name(tx.database(), to));
  co_await tx.execute_script(rename);
}

Task<void> drop_tenant_role(Transaction& tx, const SchemaName& schema) {
  const std::string drop =
      "DROP ROLE IF EXISTS " + tx.quote_identifier(tenant_role_name(tx.database(), schema));
  co_await tx.execute_script(drop);
}

}  // namespace tenantry::db

#pragma once

// PostgreSQL's own wall between tenants: one role per tenant schema, and the two group roles around them.
//
//   <login runtime role> ∈ tenantry_runtime ∈ every tenant role "<schema>@<database>" ∋ ... ∈
//   tenantry_tenants
//
// - A tenant role (NOLOGIN) has USAGE on its own schema and DML on its tables, nothing on any other
//   tenant's schema, and, through tenantry_tenants, only what the shared migrations grant tenants in public
//   (memberships and some users columns, under row-level security).
// - tenantry_runtime (NOLOGIN, NOINHERIT) is a member of every tenant role, so that its members may SET ROLE
//   to any tenant; NOINHERIT keeps the tenants' privileges from flowing to its members. It holds what the
//   shared migrations grant the request pools in public. The server's login role is granted it.
// The group roles are cluster-wide and fixed names (the migrations grant to them); tenant roles carry the
// database in their name, since roles are cluster-wide and two databases may have a tenant of one name.
// Scale: PostgreSQL 15 rebuilds a backend's list of the login role's memberships after any change to role
// memberships, in time quadratic in their number (16 uses a bloom filter): measured here, the first SET ROLE
// after a tenant is created costs about 2 ms per backend with 1,000 tenant roles and 200 ms with 10,000.
#include <string>
#include <string_view>

#include "tenantry/core/task.hpp"
#include "tenantry/db/schema_name.hpp"

namespace tenantry::db {

class Transaction;

inline constexpr std::string_view kTenantsGroup = "tenantry_tenants";
inline constexpr std::string_view kRuntimeGroup = "tenantry_runtime";

/// "<schema>@<database>": '@' is not allowed in schema names, so no two (schema, database) pairs share a
/// name. Longer than PostgreSQL's 63 bytes, it keeps its first 54 bytes (whole UTF-8 characters) and ends in
/// '#' and 8 hex digits of a hash of the full name.
std::string tenant_role_name(std::string_view database, const SchemaName& schema);

/// Creates tenantry_tenants and tenantry_runtime when missing (concurrent creators are tolerated). Runs its
/// own statements, outside any transaction, so a race lost aborts nothing.
Task<void> ensure_group_roles(const class Session& session);

/// The tenant role of `schema` in the transaction's database: created if missing, a member of
/// tenantry_tenants, granted to tenantry_runtime, with USAGE on the schema, DML on its tables and sequences,
/// and default privileges so that what the owner creates there later is granted too. Idempotent.
Task<void> grant_tenant_role(Transaction& tx, const SchemaName& schema);
/// DML on the tables and sequences of `schema` for its role (after migrations that a role other than the
/// one that set the default privileges may have run). Nothing when the role does not exist yet.
Task<void> grant_tenant_tables(Transaction& tx, const SchemaName& schema);
/// Renames the role of `from` to the role of `to` (created if `from` had none).
Task<void> rename_tenant_role(Transaction& tx, const SchemaName& from, const SchemaName& to);
/// Drops the role of `schema`, once the schema is gone.
Task<void> drop_tenant_role(Transaction& tx, const SchemaName& schema);

}  // namespace tenantry::db

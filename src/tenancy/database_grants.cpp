#include "tenantry/tenancy/database_grants.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <iterator>

#include "tenantry/db/errors.hpp"
#include "tenantry/db/schema_lock.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/db/tenant_roles.hpp"

namespace tenantry::tenancy {

namespace {

using Severity = GrantFinding::Severity;

// What tenant roles may touch in public: the accounts app's migrations grant SELECT on memberships and on
// some columns of users (under row-level security), and nothing else.
constexpr std::string_view kTenantReadable[] = {"memberships", "users"};

// One row per tenant schema or spare ($1: [{"schema", "role"}], in that order): its role and what it holds.
// Set-based, so that it stays one pass over pg_class with thousands of tenants; $2 false leaves out what is
// per table (the server's start asks only what would make requests fail).
constexpr const char* kInspectTenants = R"(
WITH wanted AS (
  SELECT w.ord, w.schema, w.role, n.oid AS nsp, n.nspowner, n.nspacl, r.oid AS rid,
         r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls AS strong
  FROM ROWS FROM (json_to_recordset($1::json) AS (schema text, role text)) WITH ORDINALITY AS w(schema, role, ord)
  LEFT JOIN pg_namespace n ON n.nspname = w.schema
  LEFT JOIN pg_roles r ON r.rolname = w.role),
tables AS (
  SELECT w.nsp, count(*) FILTER (WHERE c.relkind IN ('r', 'p') AND NOT (
           has_table_privilege(w.rid, c.oid, 'SELECT') AND has_table_privilege(w.rid, c.oid, 'INSERT')
           AND has_table_privilege(w.rid, c.oid, 'UPDATE') AND has_table_privilege(w.rid, c.oid, 'DELETE'))) AS missing
  FROM wanted w JOIN pg_class c ON c.relnamespace = w.nsp
  WHERE $2 AND w.rid IS NOT NULL GROUP BY w.nsp),
table_strangers AS (
  SELECT w.nsp, string_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END,
                           ', ') AS names
  FROM wanted w JOIN pg_class c ON c.relnamespace = w.nsp, aclexplode(c.relacl) a
  WHERE $2 AND a.grantee <> c.relowner AND a.grantee IS DISTINCT FROM w.rid GROUP BY w.nsp),
defaults AS (
  SELECT d.defaclnamespace AS nsp, array_agg(a.grantee) AS grantees
  FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE $2 AND d.defaclobjtype = 'r' GROUP BY 1)
SELECT w.schema, w.role, w.nsp IS NOT NULL, w.rid IS NOT NULL, coalesce(w.strong, false),
  coalesce(has_schema_privilege(w.rid, w.nsp, 'USAGE'), false),
  coalesce(has_schema_privilege(w.rid, w.nsp, 'CREATE'), false),
  coalesce(pg_has_role(w.rid, 'tenantry_tenants', 'USAGE'), false),
  coalesce(pg_has_role('tenantry_runtime', w.rid, 'MEMBER'), false),
  coalesce(t.missing, 0),
  NOT $2 OR coalesce(w.rid = ANY (df.grantees), false),
  (SELECT string_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END, ', ')
     FROM aclexplode(w.nspacl) a WHERE a.grantee <> w.nspowner AND a.grantee IS DISTINCT FROM w.rid),
  ts.names,
  (SELECT string_agg(g.rolname, ', ') FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
     WHERE m.member = w.rid AND g.rolname <> 'tenantry_tenants'),
  (SELECT string_agg(u.rolname, ', ') FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member
     WHERE m.roleid = w.rid AND u.rolname <> 'tenantry_runtime')
FROM wanted w LEFT JOIN tables t ON t.nsp = w.nsp LEFT JOIN table_strangers ts ON ts.nsp = w.nsp
  LEFT JOIN defaults df ON df.nsp = w.nsp
ORDER BY w.ord)";

// Who holds privileges on a tenant schema, its tables or sequences besides their owner and the tenant role
// ($1 schema, $2 role): left by a copy of the database, a hand-made grant, or an old role name.
constexpr const char* kStrangers = R"(
SELECT DISTINCT a.grantee = 0, pg_get_userbyid(a.grantee)::text
FROM pg_namespace n, aclexplode(n.nspacl) a
WHERE n.nspname = $1 AND a.grantee <> n.nspowner AND (a.grantee = 0 OR pg_get_userbyid(a.grantee) <> $2)
UNION
SELECT DISTINCT a.grantee = 0, pg_get_userbyid(a.grantee)::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
WHERE n.nspname = $1 AND a.grantee <> c.relowner AND (a.grantee = 0 OR pg_get_userbyid(a.grantee) <> $2))";

constexpr const char* kRuntimeRole = R"(
SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
  pg_has_role(r.oid, 'pg_execute_server_program', 'MEMBER'),
  pg_has_role(r.oid, 'pg_read_server_files', 'MEMBER'),
  pg_has_role(r.oid, 'pg_write_server_files', 'MEMBER'),
  has_database_privilege(r.oid, current_database(), 'CREATE'),
  has_database_privilege(r.oid, current_database(), 'TEMPORARY'),
  has_schema_privilege(r.oid, 'public', 'CREATE'),
  (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid),
  pg_has_role(r.oid, 'tenantry_runtime', 'MEMBER'),
  coalesce((SELECT has_table_privilege(r.oid, to_regclass('public.auth_keys'), 'SELECT')
            WHERE to_regclass('public.auth_keys') IS NOT NULL), false)
FROM pg_roles r WHERE r.rolname = $1)";

// Shared tables tenant roles can reach beyond kTenantReadable, or write in it ($1: the readable ones).
constexpr const char* kTenantReach = R"(
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
  AND (CASE WHEN c.relname = ANY ($1::text[])
            THEN has_table_privilege('tenantry_tenants', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
            ELSE has_table_privilege('tenantry_tenants', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
                 OR has_any_column_privilege('tenantry_tenants', c.oid, 'SELECT,INSERT,UPDATE,REFERENCES') END)
ORDER BY 1)";

// What PUBLIC (every role) may do: CREATE or TEMPORARY on the database, CREATE on public, CONNECT.
constexpr const char* kPublicPrivileges =
    "SELECT has_database_privilege('public', current_database(), 'CREATE') "
    "OR has_database_privilege('public', current_database(), 'TEMPORARY'), "
    "has_schema_privilege('public', 'public', 'CREATE'), has_database_privilege('public', "
    "current_database(), "
    "'CONNECT')";

constexpr const char* kUnprotected =
    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY ($1::text[]) "
    "AND NOT relrowsecurity ORDER BY 1";

std::string readable_tables() {
  std::string out = "{";
  for (std::string_view t : kTenantReadable) out += (out.size() > 1 ? "," : "") + std::string(t);
  return out + "}";
}

void add(std::vector<GrantFinding>& out, Severity severity, std::string subject, std::string problem,
         bool fixable = true) {
  out.push_back({severity, std::move(subject), std::move(problem), fixable});
}

}  // namespace

struct DatabaseGrants::TenantSchema {
  db::SchemaName schema;
  std::string role;
  bool spare = false;
  std::vector<GrantFinding> findings;
};

std::string_view to_string(GrantFinding::Severity severity) {
  return severity == Severity::kBlocking ? "blocking" : "weakness";
}

DatabaseGrants::DatabaseGrants(db::Pool& owner_pool, std::string runtime_role)
    : pool_(owner_pool), runtime_role_(std::move(runtime_role)) {}

Task<std::vector<GrantFinding>> DatabaseGrants::check(Depth depth) {
  std::vector<GrantFinding> out;
  if (co_await check_group_roles(out)) {
    co_await check_runtime_role(out);
    const std::vector<TenantSchema> tenants = co_await inspect_tenants(depth);
    for (const auto& tenant : tenants) out.insert(out.end(), tenant.findings.begin(), tenant.findings.end());
  }
  if (depth == Depth::kThorough) co_await check_public(out);
  co_return out;
}

Task<bool> DatabaseGrants::check_group_roles(std::vector<GrantFinding>& out) {
  auto rows = co_await pool_.session().query(
      "SELECT rolname, rolinherit FROM pg_roles WHERE rolname IN ('tenantry_tenants', 'tenantry_runtime')");
  bool runtime_group = false, tenants_group = false;
  for (auto row : rows) {
    const auto name = row.get<std::string_view>(0);
    (name == db::kRuntimeGroup ? runtime_group : tenants_group) = true;
    if (name == db::kRuntimeGroup && row.get<bool>(1))
      add(out, Severity::kWeakness, "role tenantry_runtime",
          "inherits the privileges of the tenant roles it is a member of (it must be NOINHERIT)");
  }
  if (!runtime_group || !tenants_group)
    add(out, Severity::kBlocking, "roles tenantry_runtime and tenantry_tenants", "do not exist");
  co_return runtime_group&& tenants_group;
}

Task<void> DatabaseGrants::check_runtime_role(std::vector<GrantFinding>& out) {
  auto rows = co_await pool_.session().query(kRuntimeRole, runtime_role_);
  const std::string subject = "runtime role " + runtime_role_;
  if (rows.empty()) {
    add(out, Severity::kBlocking, subject, "does not exist", false);
    co_return;
  }
  const auto r = rows.one();
  const bool superuser = r.get<bool>(0);
  // Attributes are the cluster administrator's to change: reported, not repaired.
  struct Attribute {
    int column;
    const char* problem;
  };
  static constexpr Attribute kAttributes[] = {
      {0, "is a superuser: PostgreSQL checks none of its privileges (use a role without SUPERUSER)"},
      {1, "has CREATEROLE"},
      {2, "has CREATEDB"},
      {3, "has BYPASSRLS: row-level security on shared tables does not apply to it"},
      {4, "has REPLICATION"},
      {5, "can run programs on the database server (pg_execute_server_program)"},
      {6, "can read files on the database server (pg_read_server_files)"},
      {7, "can write files on the database server (pg_write_server_files)"},
      {11,
       "owns schemas, so it can change or drop them (DDL): give the owner its own role "
       "(database.owner_url)"},
  };
  for (const Attribute& a : kAttributes) {
    const bool found = a.column == 11 ? r.get<std::int64_t>(11) > 0 : r.get<bool>(a.column);
    if (found && (a.column == 0 || !superuser)) add(out, Severity::kWeakness, subject, a.problem, false);
  }
  if (superuser) co_return;  // the rest says nothing of a superuser
  if (r.get<bool>(8)) add(out, Severity::kWeakness, subject, "may create schemas in the database (CREATE)");
  if (r.get<bool>(9)) add(out, Severity::kWeakness, subject, "may create temporary tables (TEMPORARY)");
  if (r.get<bool>(10)) add(out, Severity::kWeakness, subject, "may create tables in public (CREATE)");
  if (!r.get<bool>(12))
    add(out, Severity::kBlocking, subject,
        "is not a member of tenantry_runtime: it cannot take tenant roles");
  if (r.get<bool>(13)) add(out, Severity::kWeakness, subject, "can read the token signing key (auth_keys)");
}

Task<void> DatabaseGrants::check_public(std::vector<GrantFinding>& out) {
  const std::string readable = readable_tables();
  const bool groups =
      !(co_await pool_.session().query("SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_tenants'")).empty();
  if (groups) {
    const db::Result reach = co_await pool_.session().query(kTenantReach, readable);
    for (auto row : reach)
      add(out, Severity::kWeakness, "table public." + row.get<std::string>(0),
          "tenant roles hold privileges on it beyond reading their own store's rows");
  }
  const db::Result open = co_await pool_.session().query(kPublicPrivileges);
  if (open.one().get<bool>(0) || open.one().get<bool>(1))
    add(out, Severity::kWeakness, "database",
        "every role may create schemas, temporary tables or tables in public");
  if (open.one().get<bool>(2))
    add(out, Severity::kWeakness, "database",
        "every role may connect to it, the runtime roles of other databases of the cluster too (they may "
        "take "
        "every tenant role)");
  const db::Result unprotected = co_await pool_.session().query(kUnprotected, readable);
  for (auto row : unprotected)
    add(out, Severity::kWeakness, "table public." + row.get<std::string>(0),
        "has no row-level security: run `tenantry migrate`", false);
}

Task<std::vector<DatabaseGrants::TenantSchema>> DatabaseGrants::inspect_tenants(Depth depth) {
  const db::Session session(pool_);
  std::vector<TenantSchema> schemas;
  const std::string database((co_await session.query("SELECT current_database()")).one().get<std::string>(0));
  std::vector<std::optional<std::string>> recorded;
  const db::Result tenants = co_await session.query(
      "SELECT schema_name, db_role FROM tenants WHERE state NOT IN ('provisioning', 'failed') ORDER BY id");
  for (auto row : tenants) {
    auto schema = row.get<db::SchemaName>(0);
    schemas.push_back({schema, db::tenant_role_name(database, schema), false, {}});
    recorded.push_back(row.get<std::optional<std::string>>(1));
  }
  const db::Result spares =
      co_await session.query("SELECT schema_name FROM tenant_spares ORDER BY schema_name");
  for (auto row : spares) {
    constexpr std::string_view kPrefix = "tenantry_";
    auto schema = db::SchemaName::tenantry_owned(row.get<std::string_view>(0).substr(kPrefix.size()));
    schemas.push_back({schema, db::tenant_role_name(database, schema), true, {}});
  }
  boost::json::array request;
  for (const auto& s : schemas) request.push_back({{"schema", s.schema.str()}, {"role", s.role}});
  const std::string json = boost::json::serialize(request);
  std::size_t i = 0;
  const bool thorough = depth == Depth::kThorough;
  const db::Result inspected = co_await session.query(kInspectTenants, json, thorough);
  for (auto row : inspected) {
    TenantSchema& t = schemas[i];
    const std::string subject = (t.spare ? "spare " : "tenant ") + t.schema.str();
    auto& out = t.findings;
    if (!row.get<bool>(2)) {
      if (!t.spare) add(out, Severity::kBlocking, subject, "has no schema", false);
      ++i;
      continue;
    }
    if (i < recorded.size() && recorded[i] != t.role)
      add(out, Severity::kBlocking, subject, "the catalog does not name its role " + t.role);
    if (!row.get<bool>(3)) {
      add(out, Severity::kBlocking, subject, "has no role " + t.role);
      ++i;
      continue;
    }
    if (row.get<bool>(4)) add(out, Severity::kWeakness, subject, "its role may log in or has special powers");
    if (!row.get<bool>(5)) add(out, Severity::kBlocking, subject, "its role may not use its schema");
    if (row.get<bool>(6)) add(out, Severity::kWeakness, subject, "its role may create objects in its schema");
    if (!row.get<bool>(7)) add(out, Severity::kWeakness, subject, "its role is not in tenantry_tenants");
    if (!row.get<bool>(8))
      add(out, Severity::kBlocking, subject, "its role is not granted to tenantry_runtime");
    if (const auto missing = row.get<std::int64_t>(9); missing > 0)
      add(out, Severity::kBlocking, subject,
          "its role lacks SELECT, INSERT, UPDATE or DELETE on " + std::to_string(missing) + " table(s)");
    if (!row.get<bool>(10))
      add(out, Severity::kWeakness, subject, "no default privileges: tables made later would not be granted");
    for (int column : {11, 12})
      if (auto others = row.get<std::optional<std::string>>(column))
        add(out, Severity::kWeakness, subject,
            std::string(column == 11 ? "other roles hold privileges on its schema: "
                                     : "other roles hold privileges on its tables: ") +
                *others);
    if (auto groups = row.get<std::optional<std::string>>(13))
      add(out, Severity::kWeakness, subject, "its role is also a member of " + *groups);
    if (auto members = row.get<std::optional<std::string>>(14))
      add(out, Severity::kWeakness, subject,
          "roles other than tenantry_runtime may take its role: " + *members);
    ++i;
  }
  co_return schemas;
}

Task<std::vector<std::string>> DatabaseGrants::apply() {
  std::vector<std::string> done;
  std::vector<GrantFinding> groups;
  if (!co_await check_group_roles(groups) || !groups.empty()) {
    co_await db::ensure_group_roles(pool_.session());
    co_await pool_.session().execute_script("ALTER ROLE tenantry_runtime NOINHERIT");
    done.push_back("roles tenantry_runtime (NOINHERIT) and tenantry_tenants are in place");
  }
  const db::Result runtime = co_await pool_.session().query(
      "SELECT rolsuper OR pg_has_role(oid, 'tenantry_runtime', 'MEMBER') FROM pg_roles WHERE rolname = $1",
      runtime_role_);
  if (!runtime.empty() && !runtime.one().get<bool>(0)) {
    db::Transaction tx = co_await pool_.session().begin();
    const std::string grant = "GRANT tenantry_runtime TO " + tx.quote_identifier(runtime_role_);
    co_await tx.execute_script(grant);
    co_await tx.commit();
    done.push_back("granted tenantry_runtime to " + runtime_role_);
  }
  co_await repair_public(done);
  const std::vector<TenantSchema> tenants = co_await inspect_tenants(Depth::kThorough);
  for (const auto& tenant : tenants)
    if (!tenant.findings.empty()) co_await repair_tenant(tenant, done);
  co_return done;
}

Task<void> DatabaseGrants::repair_public(std::vector<std::string>& done) {
  db::Transaction tx = co_await pool_.session().begin();
  const std::string database = tx.quote_identifier(tx.database());
  const db::Result open = co_await tx.query(kPublicPrivileges);
  const bool database_open = open.one().get<bool>(0), public_open = open.one().get<bool>(1);
  // Only with a runtime role of its own: one role for both (database.url alone) says nothing of which
  // other login role serves requests, and it must keep its way in.
  const db::Result me = co_await tx.query("SELECT current_user = $1", runtime_role_);
  if (open.one().get<bool>(2) && !me.one().get<bool>(0)) {
    // Keep out the runtime roles of other databases of the cluster: they may take every tenant role too.
    const std::string grant =
        "GRANT CONNECT ON DATABASE " + database + " TO " + tx.quote_identifier(runtime_role_);
    const std::string revoke = "REVOKE CONNECT ON DATABASE " + database + " FROM PUBLIC";
    co_await tx.execute_script(grant);
    co_await tx.execute_script(revoke);
    done.push_back("revoked CONNECT on the database from PUBLIC (granted to " + runtime_role_ + ")");
  }
  // Every role may otherwise create schemas or temporary tables in the database, or tables in public.
  if (database_open) {
    const std::string revoke = "REVOKE CREATE, TEMPORARY ON DATABASE " + database + " FROM PUBLIC";
    co_await tx.execute_script(revoke);
    done.push_back("revoked CREATE and TEMPORARY on the database from PUBLIC");
  }
  if (public_open) {
    co_await tx.execute_script("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    done.push_back("revoked CREATE on schema public from PUBLIC");
  }
  const std::string readable = readable_tables();
  const db::Result reach = co_await tx.query(kTenantReach, readable);
  for (auto row : reach) {
    const std::string table = row.get<std::string>(0);
    const bool readable_table =
        std::find(std::begin(kTenantReadable), std::end(kTenantReadable), table) != std::end(kTenantReadable);
    const std::string revoke =
        std::string(readable_table ? "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
                                   : "REVOKE ALL") +
        " ON TABLE public." + tx.quote_identifier(table) + " FROM tenantry_tenants";
    co_await tx.execute_script(revoke);
    done.push_back("revoked what tenant roles held on public." + table);
  }
  co_await tx.commit();
}

Task<void> DatabaseGrants::repair_tenant(const TenantSchema& tenant, std::vector<std::string>& done) {
  db::Transaction tx = co_await pool_.session().begin();
  co_await tx.query("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", db::kSchemaLockClass,
                    tenant.schema);
  const db::Result exists = co_await tx.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", tenant.schema);
  if (exists.empty()) co_return;  // dropped meanwhile
  co_await db::grant_tenant_role(tx, tenant.schema);
  const std::string schema = tx.quote_identifier(tenant.schema.str());
  const db::Result strangers = co_await tx.query(kStrangers, tenant.schema, tenant.role);
  for (auto row : strangers) {
    const std::string grantee = row.get<bool>(0) ? "PUBLIC" : tx.quote_identifier(row.get<std::string>(1));
    static constexpr const char* kObjects[] = {"SCHEMA ", "ALL TABLES IN SCHEMA ",
                                               "ALL SEQUENCES IN SCHEMA "};
    for (const char* what : kObjects) {
      const std::string revoke = "REVOKE ALL ON " + std::string(what) + schema + " FROM " + grantee;
      co_await tx.execute_script(revoke);
    }
  }
  // Memberships beyond the two of the design: a tenant role in another group, another role in a tenant's.
  const db::Result extra = co_await tx.query(
      "SELECT g.rolname, u.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
      "JOIN pg_roles u ON u.oid = m.member WHERE (u.rolname = $1 AND g.rolname <> 'tenantry_tenants') "
      "OR (g.rolname = $1 AND u.rolname <> 'tenantry_runtime')",
      tenant.role);
  for (auto row : extra) {
    const std::string revoke = "REVOKE " + tx.quote_identifier(row.get<std::string>(0)) + " FROM " +
                               tx.quote_identifier(row.get<std::string>(1));
    co_await tx.execute_script(revoke);
  }
  if (!tenant.spare)
    co_await tx.query(
        "UPDATE tenants SET db_role = $2 WHERE schema_name = $1 AND db_role IS DISTINCT FROM $2",
        tenant.schema, tenant.role);
  co_await tx.commit();
  done.push_back((tenant.spare ? "spare " : "tenant ") + tenant.schema.str() + ": role " + tenant.role +
                 " and its grants set right (" + tenant.findings.front().problem +
                 (tenant.findings.size() > 1 ? ", ..." : "") + ")");
}

}  // namespace tenantry::tenancy

// Least privilege: PostgreSQL itself keeps tenants apart. The server's request pools log in as a runtime
// role without DDL rights and take each tenant's own role for its statements (tenantry/db/tenant_roles.hpp);
// these tests use the roles directly (SQL), through a handler that reaches too far (HTTP), across the
// lifecycle (provisioning, spares, rename, clone, drop, fleet migration) and through `tenantry db`.
#include <libpq-fe.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <regex>

#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "log_capture.hpp"
#include "tenant_test_case.hpp"
#include "tenantry/db/embedded_cluster.hpp"
#include "tenantry/db/tenant_roles.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/database_grants.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"

namespace tenantry::testing {
namespace {

/// A blocking libpq session for SQL by hand: what a handler bug or an attacker's query would send.
class RawSession {
 public:
  explicit RawSession(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str()), &PQfinish) {
    if (PQstatus(conn_.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_.get()));
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
  }
  /// The SQLSTATE the statement failed with, "" when it succeeded.
  std::string error_of(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
    const auto status = PQresultStatus(r.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return "";
    const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    return state ? state : "?????";
  }
  /// The first column of the first row; throws on an error.
  std::string value(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
      throw std::runtime_error(sql + ": " + PQerrorMessage(conn_.get()));
    return PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

constexpr const char* kDenied = "42501";  // insufficient_privilege

class LeastPrivilegeTest : public TenantTestCase {
 protected:
  std::string role_of(const std::string& store) const {
    return db::tenant_role_name(database().name(), db::SchemaName(store));
  }
  /// A session as the server's request pools log in (tenantry_app).
  RawSession as_runtime() const { return RawSession(database().runtime_conninfo()); }
  /// The same, with `store`'s role taken as the server's prelude takes it.
  RawSession as_tenant(const std::string& store) const {
    RawSession session = as_runtime();
    if (!session
             .error_of("SELECT set_config('search_path', '" + store +
                       ", public', false), set_config('role', '" + role_of(store) + "', false)")
             .empty())
      throw std::runtime_error("cannot take the role of " + store);
    return session;
  }
  std::vector<tenancy::GrantFinding> grant_findings() {
    boost::asio::io_context io;
    db::Pool owner(io, db::PoolConfig{.connect = {.conninfo = database().owner_conninfo()}, .max_size = 1});
    tenancy::DatabaseGrants grants(owner, std::string(db::EmbeddedCluster::kRuntimeRole));
    auto findings = run_blocking(io, grants.check());
    owner.close();
    return findings;
  }
  static std::string describe(const std::vector<tenancy::GrantFinding>& findings) {
    std::string out;
    for (const auto& f : findings) out += f.subject + " " + f.problem + "\n";
    return out;
  }
};

TEST_F(LeastPrivilegeTest, ATenantRoleReachesItsOwnStoreAndNothingElse) {
  RawSession store = as_tenant(kStore);
  EXPECT_EQ(store.error_of("SELECT count(*) FROM products"), "");
  EXPECT_EQ(store.error_of("INSERT INTO products (sku, name, price_cents) VALUES ('own-1', 'Own', 1)"), "");
  // A schema-qualified name, as a handler bug would write it.
  EXPECT_EQ(store.error_of("SELECT * FROM other.products"), kDenied);
  EXPECT_EQ(store.error_of("INSERT INTO other.products (sku, name, price_cents) VALUES ('x', 'x', 1)"),
            kDenied);
  // Platform tables: the signing key, the catalog, the audit log, password hashes.
  for (const char* sql : {"SELECT * FROM public.auth_keys", "SELECT * FROM public.tenants",
                          "SELECT * FROM public.audit_log", "SELECT password_hash FROM public.users",
                          "SELECT * FROM public.token_revocations", "SELECT tenantry_signing_key('x')"})
    EXPECT_EQ(store.error_of(sql), kDenied) << sql;
  // The shared rows it may read are its own store's: memberships under row-level security, and its members.
  EXPECT_EQ(store.value("SELECT count(DISTINCT tenant_id) FROM memberships"), "1");
  EXPECT_EQ(store.value("SELECT min(tenant_id) FROM memberships"),
            sql("SELECT id FROM tenants WHERE schema_name = 'store'", ""));
  EXPECT_EQ(store.value("SELECT count(*) FROM users"),
            sql("SELECT count(*) FROM memberships m JOIN tenants t "
                "ON t.id = m.tenant_id WHERE t.schema_name = 'store'",
                ""));
  EXPECT_EQ(store.value("SELECT count(*) FROM users WHERE email = 'owner@other.test'"), "0");
  // Neither the server nor DDL.
  EXPECT_EQ(store.error_of("COPY (SELECT 1) TO PROGRAM 'true'"), kDenied);
  EXPECT_EQ(store.error_of("CREATE TABLE products_copy (id bigint)"), kDenied);
  EXPECT_EQ(store.error_of("CREATE TABLE other.x (id bigint)"), kDenied);
  EXPECT_EQ(store.error_of("ALTER ROLE \"" + role_of(kStore) + "\" LOGIN"), kDenied);
  EXPECT_EQ(store.error_of("DROP TABLE products"), kDenied);
  // What this does not stop (the README's threat model): SQL of an attacker's choosing may switch roles
  // itself, since the login role may take any tenant's. Bind parameters everywhere keep SQL ours.
  EXPECT_EQ(store.error_of("SET ROLE \"" + role_of(kOtherStore) + "\""), "");
  EXPECT_EQ(store.error_of("SELECT count(*) FROM other.products"), "");
}

TEST_F(LeastPrivilegeTest, TheRuntimeRoleHasNoDdlNoSecretsAndNoServerAccess) {
  RawSession runtime = as_runtime();
  EXPECT_EQ(runtime.value("SELECT session_user"), db::EmbeddedCluster::kRuntimeRole);
  EXPECT_EQ(runtime.value("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication "
                          "FROM pg_roles WHERE rolname = session_user"),
            "f");
  for (const char* group : {"pg_execute_server_program", "pg_read_server_files", "pg_write_server_files"})
    EXPECT_EQ(runtime.value(std::string("SELECT pg_has_role(session_user, '") + group + "', 'MEMBER')"), "f");
  // Without a tenant role it reaches no tenant schema (it does not inherit them).
  EXPECT_EQ(runtime.error_of("SELECT * FROM store.products"), kDenied);
  EXPECT_EQ(runtime.error_of("SELECT * FROM public.auth_keys"), kDenied);
  EXPECT_EQ(runtime.value("SELECT length(tenantry_signing_key('unused')) > 0"),
            "t");  // the one way to the key
  for (const char* sql :
       {"CREATE SCHEMA evil", "CREATE TABLE public.evil (id bigint)", "CREATE TEMP TABLE evil (id bigint)",
        "COPY (SELECT 1) TO PROGRAM 'true'", "SELECT pg_read_file('/etc/hostname')",
        "ALTER ROLE tenantry_app SUPERUSER", "DROP TABLE public.memberships",
        "ALTER TABLE public.users DISABLE ROW LEVEL SECURITY"})
    EXPECT_NE(runtime.error_of(sql), "") << sql;
  // What it needs: the shared tables of its work.
  EXPECT_EQ(runtime.error_of("SELECT count(*) FROM users, memberships, tenants, domains, audit_log"), "");
  EXPECT_EQ(describe(grant_findings()), "");
}

// Group roles are the cluster's: another Tenantry database's runtime role may take this one's tenant roles
// too, so it must not get in at all.
TEST_F(LeastPrivilegeTest, TheRuntimeRoleOfAnotherDatabaseCannotConnect) {
  const std::string stranger = "stranger_" + database().name();
  sql("CREATE ROLE \"" + stranger + "\" LOGIN PASSWORD 'stranger-password'", "");
  sql("GRANT tenantry_runtime TO \"" + stranger + "\"", "");
  PGconn* conn =
      PQconnectdb((database().conninfo() + " user=" + stranger + " password=stranger-password").c_str());
  EXPECT_NE(PQstatus(conn), CONNECTION_OK);
  EXPECT_NE(std::string(PQerrorMessage(conn)).find("permission denied for database"), std::string::npos)
      << PQerrorMessage(conn);
  PQfinish(conn);
  sql("DROP ROLE \"" + stranger + "\"", "");
}

TEST_F(LeastPrivilegeTest, AHandlerThatReachesIntoAnotherStoreGets500WithTheDeniedSchemaLoggedAndNoData) {
  sql("INSERT INTO products (sku, name, price_cents) VALUES ('secret-1', 'Secret widget of other', 1)",
      kOtherStore);
  web::Routes routes = apps::all_routes(config, tenant_plan());
  // A test-only handler with the bug: a schema-qualified name of another tenant, on the request's session.
  routes.tenant_routes.add("GET", "/api/test/peek",
                           [](web::RequestContext& ctx) -> Task<http::Response> {
                             auto rows = co_await ctx.db.query("SELECT name FROM other.products");
                             co_return http::Response::json(200, {{"rows", rows.size()}});
                           },
                           {.summary = "Test: a handler with a bug"});
  LogCapture log;
  web::Application app(config, urls(), std::move(routes), shared_plan(), tenant_plan());
  app.start();
  HttpClient client(app.port());
  const HttpResponse r = client.request("GET", "/api/test/peek", {"Host: " + host()});
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(r.body.find("Secret widget"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("other"), std::string::npos) << "the answer names no schema: " << r.body;
  const std::string logged = log.wait_for(std::regex("permission denied for schema other"));
  EXPECT_NE(logged.find("permission denied for schema other"), std::string::npos) << logged;
  // The store's own requests go on.
  EXPECT_EQ(client.request("GET", "/api/openapi.json", {"Host: " + host()}).status, 200);
  app.stop(false);
}

// Every tenant role may use its own schema and tables and nothing of any other tenant's, whatever the
// lifecycle did; the runtime group reaches no tenant schema by itself; DatabaseGrants finds nothing.
TEST_F(LeastPrivilegeTest, GrantsStayRightThroughProvisioningSparesRenameCloneDropAndFleetMigration) {
  boost::asio::io_context io;
  db::Pool owner(io, db::PoolConfig{.connect = {.conninfo = database().owner_conninfo()}, .max_size = 2});
  tenancy::TenantProvisioner provisioner(owner, tenant_plan());
  auto expect_isolated = [&](const std::string& step) {
    const std::string wrong = sql(R"(
      SELECT string_agg(format('%s on %s', t.db_role, s.schema_name), ', ')
      FROM tenants t CROSS JOIN tenants s
      WHERE has_schema_privilege(t.db_role, s.schema_name, 'USAGE') <> (t.id = s.id)
         OR EXISTS (SELECT 1 FROM pg_tables p WHERE p.schemaname = s.schema_name
                    AND (has_table_privilege(t.db_role, format('%I.%I', p.schemaname, p.tablename), 'SELECT')
                         AND has_table_privilege(t.db_role, format('%I.%I', p.schemaname, p.tablename), 'INSERT')
                         AND has_table_privilege(t.db_role, format('%I.%I', p.schemaname, p.tablename), 'UPDATE')
                         AND has_table_privilege(t.db_role, format('%I.%I', p.schemaname, p.tablename), 'DELETE'))
                        <> (t.id = s.id))
         OR has_schema_privilege('tenantry_runtime', s.schema_name, 'USAGE'))",
                                  "");
    EXPECT_EQ(wrong, "") << "after " << step;
    EXPECT_EQ(describe(grant_findings()), "") << "after " << step;
  };
  auto role_exists = [&](const std::string& store) {
    return sql("SELECT count(*) FROM pg_roles WHERE rolname = '" + role_of(store) + "'", "") == "1";
  };
  expect_isolated("the template's stores");

  tenancy::NewTenant alpha{db::SchemaName("alpha"), "Alpha"};
  run_blocking(io, provisioner.create(alpha));
  expect_isolated("provisioning");

  EXPECT_EQ(run_blocking(io, provisioner.refill_spares(1)), 1U);
  expect_isolated("a spare is made");
  tenancy::NewTenant beta{db::SchemaName("beta"), "Beta"};
  run_blocking(io, provisioner.create(beta));
  EXPECT_EQ(sql("SELECT count(*) FROM tenant_spares", ""), "0") << "beta took the spare";
  EXPECT_EQ(
      sql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'tenantry\\_spare%' AND split_part(rolname, "
          "'@', 2) = current_database()",
          ""),
      "0");
  expect_isolated("a spare is taken");

  run_blocking(io, provisioner.rename(db::SchemaName("alpha"), db::SchemaName("gamma")));
  EXPECT_FALSE(role_exists("alpha"));
  EXPECT_TRUE(role_exists("gamma"));
  expect_isolated("rename");

  run_blocking(io, provisioner.clone(db::SchemaName("gamma"), db::SchemaName("delta"), std::nullopt));
  expect_isolated("clone");

  run_blocking(io, provisioner.drop(db::SchemaName("beta"), {}, std::chrono::milliseconds(0)));
  EXPECT_FALSE(role_exists("beta"));
  expect_isolated("drop");

  // A fleet migration run by a role other than the owner (whose default privileges would grant new tables):
  // delta's tables are gone with their history, and the superuser's run makes and grants them again.
  sql("DROP TABLE delta.ticket_events, delta.tickets, delta.products, delta.tenantry_migrations", "");
  {
    db::Pool superuser(io, db::PoolConfig{.connect = database().options(), .max_size = 2});
    migrations::MigrationRunner runner(superuser, apps::installed());
    const auto report = run_blocking(io, runner.migrate_tenants({.jobs = 2}));
    EXPECT_TRUE(report.ok());
    EXPECT_EQ(report.count(migrations::SchemaOutcome::Kind::kMigrated), 1U);
    superuser.close();
  }
  EXPECT_EQ(sql("SELECT tableowner FROM pg_tables WHERE schemaname = 'delta' AND tablename = 'products'", ""),
            db::EmbeddedCluster::kSuperuser);
  expect_isolated("a fleet migration");
  owner.close();
}

/// `tenantry <args>` with the server's two URLs; exit code and standard output.
std::pair<int, std::string> run_tenantry(const std::string& env, const std::string& args) {
  const std::string command = env + " " TENANTRY_BINARY " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(LeastPrivilegeTest, DbGrantsReportsWhatIsMissingOrTooWideAndApplySetsItRight) {
  const std::string env = "TENANTRY_DATABASE_URL=\"" + database().runtime_conninfo() +
                          "\" TENANTRY_DATABASE_OWNER_URL=\"" + database().owner_conninfo() + "\"";
  auto [ok, ok_out] = run_tenantry(env, "db grants --check");
  EXPECT_EQ(ok, 0) << ok_out;
  EXPECT_NE(ok_out.find("grants are right: runtime role tenantry_app"), std::string::npos) << ok_out;

  // Three ways to get it wrong by hand.
  sql("REVOKE USAGE ON SCHEMA store FROM \"" + role_of(kStore) + "\"", "");
  sql("GRANT USAGE ON SCHEMA other TO \"" + role_of(kStore) + "\"", "");
  sql("GRANT SELECT ON public.audit_log TO tenantry_tenants", "");
  EXPECT_EQ(get("/api/products").status, 500) << "the store's role may not use its schema";
  auto [bad, bad_out] = run_tenantry(env, "db grants --check");
  EXPECT_EQ(bad, 1) << bad_out;
  EXPECT_NE(bad_out.find("blocking: tenant store its role may not use its schema"), std::string::npos)
      << bad_out;
  EXPECT_NE(bad_out.find("tenant other other roles hold privileges on its schema: " + role_of(kStore)),
            std::string::npos)
      << bad_out;
  EXPECT_NE(bad_out.find("table public.audit_log tenant roles hold privileges"), std::string::npos)
      << bad_out;

  auto [applied, applied_out] = run_tenantry(env, "db grants --apply");
  EXPECT_EQ(applied, 0) << applied_out;
  EXPECT_NE(applied_out.find("applied: tenant store"), std::string::npos) << applied_out;
  auto [again, again_out] = run_tenantry(env, "db grants --check --json");
  EXPECT_EQ(again, 0) << again_out;
  EXPECT_EQ(boost::json::parse(again_out).at("findings").as_array().size(), 0U) << again_out;
  EXPECT_EQ(get("/api/products").status, 200);
  RawSession store = as_tenant(kStore);
  EXPECT_EQ(store.error_of("SELECT * FROM other.products"), kDenied);

  // Idempotent: a second --apply changes nothing.
  auto [twice, twice_out] = run_tenantry(env, "db grants --apply");
  EXPECT_EQ(twice, 0) << twice_out;
  EXPECT_EQ(twice_out.find("applied:"), std::string::npos) << twice_out;

  // With the owner's URL alone (one role for both, e.g. `tenantry migrate` in a deploy job), --apply cannot
  // know which role serves requests: it leaves CONNECT as it is rather than lock that role out.
  sql("GRANT CONNECT ON DATABASE \"" + database().name() + "\" TO PUBLIC", "");
  sql("REVOKE CONNECT ON DATABASE \"" + database().name() + "\" FROM tenantry_app", "");
  auto [alone, alone_out] =
      run_tenantry("TENANTRY_DATABASE_URL=\"" + database().owner_conninfo() + "\"", "db grants --apply");
  EXPECT_EQ(alone, 0) << alone_out;
  EXPECT_NO_THROW(as_runtime());
}

// The embedded cluster: passwords for every role (no trust), a 0600 password file, two URLs.
TEST_F(LeastPrivilegeTest, TheEmbeddedClusterAsksEveryRoleForItsPasswordAndPrintsTwoUrls) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("tenantry-embedded-" + database().name());
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::others_exec);
  const std::string env = "TENANTRY_DATABASE_URL= TENANTRY_VAR_DIR='" + dir.string() + "'";
  auto [code, out] = run_tenantry(env, "db url --json");
  ASSERT_EQ(code, 0) << out;
  const auto urls = boost::json::parse(out.substr(out.find('{'))).as_object();
  const std::string owner_url(urls.at("owner").as_string()), runtime_url(urls.at("runtime").as_string());
  EXPECT_EQ(owner_url.rfind("postgresql://tenantry_owner@/tenantry?host=", 0), 0U) << owner_url;
  EXPECT_EQ(runtime_url.rfind("postgresql://tenantry_app@/tenantry?host=", 0), 0U) << runtime_url;
  EXPECT_EQ(owner_url.find("password"), std::string::npos)
      << "a password file, not a password: " << owner_url;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "pgpass").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  {
    RawSession runtime(runtime_url);
    EXPECT_EQ(runtime.value("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = session_user"),
              "f");
    RawSession owner(owner_url);
    EXPECT_EQ(owner.value("SELECT rolcreaterole AND NOT rolsuper FROM pg_roles WHERE rolname = session_user"),
              "t");
    EXPECT_EQ(
        owner.value("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"),
        "tenantry_owner");
    RawSession superuser("postgresql://tenantry@" + owner_url.substr(owner_url.find('@') + 1));
    EXPECT_EQ(superuser.value("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method <> 'scram-sha-256'"),
              "0");
  }
  // Without the password file, no role gets in.
  const std::string no_password =
      runtime_url.substr(0, runtime_url.find("passfile=")) + "passfile=%2Fdev%2Fnull";
  PGconn* refused = PQconnectdb(no_password.c_str());
  EXPECT_NE(PQstatus(refused), CONNECTION_OK);
  EXPECT_NE(std::string(PQerrorMessage(refused)).find("password"), std::string::npos)
      << PQerrorMessage(refused);
  PQfinish(refused);
  EXPECT_EQ(run_tenantry(env, "db stop").first, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace tenantry::testing

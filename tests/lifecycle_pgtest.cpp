// The tenant lifecycle under faults, through the real binary: a signup or a `tenant create` killed mid-way,
// a clone of a schema with tables no migration made, and the audit entries of CLI actions.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "eventually.hpp"
#include "http_client.hpp"
#include "serve_process.hpp"
#include "test_database.hpp"

namespace tenantry {
namespace {

using namespace std::chrono_literals;
using testing::AdminSession;
using testing::CommandOutcome;
using testing::eventually;
using testing::HttpClient;
using testing::HttpResponse;
using testing::run_to_completion;
using testing::ServeProcess;

/// `tenantry <args>` on `conninfo` as a child process, standard output and error in its log, standard input
/// from `input`.
ServeProcess::Options command(const std::string& conninfo, std::vector<std::string> args,
                              const std::string& input = "/dev/null") {
  return {.binary = TENANTRY_BINARY,
          .conninfo = conninfo,
          .args = std::move(args),
          .env = {{"TENANTRY_MAIL_FILE_DIR", ::testing::TempDir() + "lifecycle-mail"}},
          .capture_stdout = true,
          .stdin_file = input};
}

// The code under test waits on this advisory lock, held by the test, at the step it must be killed in.
constexpr const char* kGateKey = "424242";

class LifecycleTest : public ::testing::Test {
 protected:
  CommandOutcome tenantry(std::vector<std::string> args) {
    return run_to_completion(command(database_.conninfo(), std::move(args)));
  }
  /// SQL on the test's database (first column of the first row, or "").
  std::string sql(const std::string& statement) { return session_.exec(statement); }
  /// A function + trigger in public that makes `table`'s row wait for the gate when `condition` holds.
  void gate(const std::string& table, const std::string& timing, const std::string& condition) {
    sql("CREATE FUNCTION public.test_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF " + condition +
        " THEN PERFORM pg_advisory_xact_lock_shared(" + kGateKey + "); END IF; RETURN NEW; END $$");
    sql("CREATE TRIGGER test_gate " + timing + " ON public." + table +
        " FOR EACH ROW EXECUTE FUNCTION public.test_gate()");
  }
  void remove_gate(const std::string& table) {
    sql("DROP TRIGGER test_gate ON public." + table);
    sql("DROP FUNCTION public.test_gate()");
  }
  /// True when some backend waits for the gate.
  bool someone_at_gate() {
    return sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = " +
               std::string(kGateKey)) != "0";
  }

  testing::TestDatabase database_;
  AdminSession session_{database_.name()};
  AdminSession gatekeeper_{database_.name()};
};

// A signup killed (kill -9 of the server) while its owner's membership is being written leaves nothing: no
// store, schema, user, membership or audit entry once a server runs again, and the slug signs up again.
TEST_F(LifecycleTest, KilledSignupLeavesNothingAndTheSlugSignsUpAgain) {
  ASSERT_EQ(tenantry({"migrate"}).exit_code, 0);
  gate("memberships", "BEFORE INSERT",
       "EXISTS (SELECT 1 FROM public.tenants t WHERE t.id = NEW.tenant_id AND t.schema_name = 'killed')");
  gatekeeper_.exec(std::string("SELECT pg_advisory_lock(") + kGateKey + ")");
  const std::string body =
      R"({"name": "Killed", "slug": "killed", "email": "killed@example.test", "password": "a-long-password-1"})";
  {
    ServeProcess server(command(database_.conninfo(), {"serve"}));
    const std::uint16_t port = server.port();
    ASSERT_NE(port, 0) << server.log();
    std::thread signup([&] {
      HttpClient client(port);
      try {
        client.request("POST", "/api/signup", {"Host: localhost", "Content-Type: application/json"}, body);
      } catch (const std::exception&) {
        // the server dies under it: no answer
      }
    });
    ASSERT_TRUE(eventually([&] { return someone_at_gate(); }, 10s));
    EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'killed'"), "0");  // not committed yet
    server.kill();
    signup.join();
  }
  gatekeeper_.exec(std::string("SELECT pg_advisory_unlock(") + kGateKey + ")");
  remove_gate("memberships");
  // The killed attempt's reservation is recovered by the next server within seconds.
  ServeProcess server(command(database_.conninfo(), {"serve"}));
  const std::uint16_t port = server.port();
  ASSERT_NE(port, 0) << server.log();
  EXPECT_TRUE(eventually(
      [&] { return sql("SELECT count(*) FROM tenants WHERE schema_name = 'killed'") == "0"; }, 10s))
      << sql("SELECT state FROM tenants WHERE schema_name = 'killed'");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'killed'"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM users WHERE email = 'killed@example.test'"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM memberships"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE tenant_schema = 'killed'"), "0");

  HttpClient client(port);
  const HttpResponse again =
      client.request("POST", "/api/signup", {"Host: localhost", "Content-Type: application/json"}, body);
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(sql("SELECT state FROM tenants WHERE schema_name = 'killed'"), "active");
  EXPECT_EQ(sql("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id "
                "WHERE u.email = 'killed@example.test' AND m.role = 'owner'"),
            "1");
  // The signup's audit entry, written with the store.
  EXPECT_EQ(sql("SELECT actor_email || ' ' || action || ' ' || outcome FROM audit_log WHERE tenant_schema = "
                "'killed'"),
            "killed@example.test signup ok");
}

// `tenant create` killed (kill -9) after it reserved its row and built its schema: the row it leaves in
// `provisioning` answers 503 "being created" only until a running server finds it abandoned, within seconds;
// then the domain is unknown (404) and the slug can be created again.
TEST_F(LifecycleTest, KilledTenantCreateIsRecoveredWithinSeconds) {
  ASSERT_EQ(tenantry({"migrate"}).exit_code, 0);
  ServeProcess server(command(database_.conninfo(), {"serve"}));
  const std::uint16_t port = server.port();
  ASSERT_NE(port, 0) << server.log();
  HttpClient client(port);
  EXPECT_EQ(client.get("/api/", "halfmade.example").status, 404);

  gate("tenants", "BEFORE UPDATE", "NEW.schema_name = 'halfmade' AND NEW.state = 'active'");
  gatekeeper_.exec(std::string("SELECT pg_advisory_lock(") + kGateKey + ")");
  {
    ServeProcess create(command(database_.conninfo(), {"tenant", "create", "halfmade", "--name", "Half made",
                                                       "--domain", "halfmade.example"}));
    ASSERT_TRUE(eventually([&] { return someone_at_gate(); }, 10s)) << create.log();
    EXPECT_TRUE(eventually([&] { return client.get("/api/", "halfmade.example").status == 503; }, 5s));
    create.kill();
  }
  // Its backend goes on to the end of the statement it is in, then finds its client gone and rolls back.
  gatekeeper_.exec(std::string("SELECT pg_advisory_unlock(") + kGateKey + ")");
  remove_gate("tenants");
  const auto killed_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return client.get("/api/", "halfmade.example").status == 404; }, 10s))
      << server.log();
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 10s);
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name = 'halfmade'"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'halfmade'"), "0");
  EXPECT_FALSE(server.wait_for("removed tenant 'halfmade': its provisioning was abandoned", 10s).empty())
      << server.log();

  auto again =
      tenantry({"tenant", "create", "halfmade", "--name", "Half made", "--domain", "halfmade.example"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(eventually([&] { return client.get("/api/", "halfmade.example").status == 200; }, 5s));
}

// A table made by hand (`tenantry exec`) is cloned with everything: rows, its serial sequence's value, its
// foreign key (into the clone's own products), check constraint and index; the clone is independent.
TEST_F(LifecycleTest, CloneCopiesTheWholeSchemaIncludingTablesNoMigrationMade) {
  ASSERT_EQ(tenantry({"migrate"}).exit_code, 0);
  ASSERT_EQ(tenantry({"tenant", "create", "origin", "--name", "Origin"}).exit_code, 0);
  const std::vector<std::string> setup{
      "INSERT INTO products (sku, name, price_cents) VALUES ('P1', 'Phone', 100), ('P2', 'Pad', 200)",
      "CREATE TABLE repairs (id serial PRIMARY KEY, product_id bigint NOT NULL REFERENCES products (id), "
      "cost_cents integer NOT NULL CHECK (cost_cents >= 0), note text NOT NULL DEFAULT 'none')",
      "CREATE INDEX repairs_by_note ON repairs (lower(note))",
      "INSERT INTO repairs (product_id, cost_cents, note) SELECT id, 10 * id, sku FROM products",
      "INSERT INTO repairs (product_id, cost_cents) SELECT min(id), 5 FROM products",
      "DELETE FROM repairs WHERE id = 3",  // the sequence is past the last row: it must continue from 3
  };
  for (const auto& statement : setup) {
    auto r = tenantry({"exec", "--tenant", "origin", "--", statement});
    ASSERT_EQ(r.exit_code, 0) << statement << "\n" << r.output;
  }
  auto cloned = tenantry({"tenant", "clone", "origin", "copy"});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.output;

  const std::string rows =
      "SELECT string_agg(id || ':' || product_id || ':' || cost_cents || ':' || note, ',' "
      "ORDER BY id) FROM ";
  EXPECT_EQ(sql(rows + "copy.repairs"), sql(rows + "origin.repairs"));
  EXPECT_EQ(sql(rows + "copy.repairs"), "1:1:10:P1,2:2:20:P2");
  EXPECT_EQ(sql("SELECT count(*) FROM copy.products"), "2");
  // Sequences continue: serial and identity alike, in the copy's own sequences.
  EXPECT_EQ(sql("INSERT INTO copy.repairs (product_id, cost_cents) VALUES (2, 1) RETURNING id"), "4");
  EXPECT_EQ(sql("SELECT pg_get_serial_sequence('copy.repairs', 'id')"), "copy.repairs_id_seq");
  EXPECT_EQ(sql("INSERT INTO copy.products (sku, name, price_cents) VALUES ('P3', 'Pen', 1) RETURNING id"),
            "3");
  EXPECT_EQ(sql("SELECT count(*) FROM origin.repairs"), "2");  // the source is untouched
  EXPECT_EQ(sql("SELECT count(*) FROM origin.products"), "2");
  EXPECT_EQ(sql("SELECT last_value FROM origin.repairs_id_seq"), "3");
  // The foreign key points into the copy; the check constraint and the index came along with their names.
  EXPECT_EQ(
      sql("SELECT confrelid::regclass::text FROM pg_constraint WHERE conrelid = 'copy.repairs'::regclass "
          "AND contype = 'f'"),
      "copy.products");
  EXPECT_EQ(
      sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'copy' AND indexname = 'repairs_by_note'"),
      "1");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'copy' AND tablename = 'products'"),
            sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'origin' AND tablename = 'products'"));
  auto bad_cost = tenantry(
      {"exec", "--tenant", "copy", "--", "INSERT INTO repairs (product_id, cost_cents) VALUES (1, -1)"});
  EXPECT_EQ(bad_cost.exit_code, 1);
  EXPECT_NE(bad_cost.output.find("repairs_cost_cents_check"), std::string::npos) << bad_cost.output;
  auto dangling = tenantry(
      {"exec", "--tenant", "copy", "--", "INSERT INTO repairs (product_id, cost_cents) VALUES (99, 1)"});
  EXPECT_EQ(dangling.exit_code, 1);
  EXPECT_NE(dangling.output.find("foreign key"), std::string::npos) << dangling.output;
  // Deleting in the copy leaves the source's rows.
  EXPECT_EQ(tenantry({"exec", "--tenant", "copy", "--", "DELETE FROM repairs"}).exit_code, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM origin.repairs"), "2");
  // The copy is current: its history came along, and migrate has nothing to do.
  EXPECT_EQ(sql("SELECT count(*) FROM copy.tenantry_migrations"),
            sql("SELECT count(*) FROM origin.tenantry_migrations"));
  auto check = tenantry({"migrate", "--check"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

// Every CLI action is in the audit log, with the OS user as actor, written in the action's transaction: an
// action that fails leaves no entry (and a failed drop leaves its tenant in service).
TEST_F(LifecycleTest, CliActionsAreAuditedInTheirOwnTransaction) {
  ASSERT_EQ(tenantry({"migrate"}).exit_code, 0);
  const std::string actor = std::string("cli:") + ::getpwuid(::geteuid())->pw_name;
  auto run_ok = [&](std::vector<std::string> args) {
    auto r = tenantry(args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
  };
  run_ok({"tenant", "create", "audited", "--name", "Audited", "--plan", "pro"});
  run_ok({"tenant", "suspend", "audited", "--reason", "unpaid"});
  run_ok({"tenant", "resume", "audited"});
  run_ok({"tenant", "clone", "audited", "twin"});
  run_ok({"tenant", "rename", "twin", "triplet"});
  run_ok({"exec", "--all", "--", "SELECT 1"});
  run_ok({"tenant", "drop", "triplet", "--yes"});
  sql("UPDATE tenants SET migrations_digest = 'old' WHERE schema_name = 'audited'");
  run_ok({"migrate"});

  const std::string entries = sql(
      "SELECT string_agg(action || ' ' || coalesce(tenant_schema, '-') || ' ' || outcome, ', ' ORDER BY id) "
      "FROM audit_log");
  // The first migrate created the shared schema (and the log); the last had nothing to apply: no entry.
  EXPECT_EQ(entries,
            "migrate - ok, tenant.create audited ok, tenant.suspend audited ok, tenant.resume audited ok, "
            "tenant.clone twin ok, tenant.rename twin ok, exec audited ok, exec triplet ok, tenant.drop "
            "triplet ok");
  EXPECT_EQ(sql("SELECT string_agg(DISTINCT actor_email, ',') FROM audit_log"), actor);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE actor_user_id IS NOT NULL"), "0");
  EXPECT_EQ(sql("SELECT detail->>'plan' FROM audit_log WHERE action = 'tenant.create'"), "pro");
  EXPECT_EQ(sql("SELECT detail->>'to' FROM audit_log WHERE action = 'tenant.rename'"), "triplet");

  // A drop that fails in its transaction (a trigger refuses the catalog row's delete) leaves no entry, and
  // the tenant is active again, schema and all.
  sql("CREATE FUNCTION public.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "RAISE EXCEPTION 'refused by test'; END $$");
  sql("CREATE TRIGGER test_refuse BEFORE DELETE ON public.tenants FOR EACH ROW WHEN (OLD.schema_name = "
      "'audited') EXECUTE FUNCTION public.test_refuse()");
  auto refused = tenantry({"tenant", "drop", "audited", "--yes"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'tenant.drop' AND tenant_schema = 'audited'"),
            "0");
  EXPECT_EQ(sql("SELECT state FROM tenants WHERE schema_name = 'audited'"), "active");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'audited'"), "1");
  // A refused create leaves none either.
  auto clash = tenantry({"tenant", "create", "audited", "--name", "Again"});
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'tenant.create'"), "1");
}

// `migrate` and `admin create-user` write their entries too.
TEST_F(LifecycleTest, MigrateAndCreateUserAreAudited) {
  ASSERT_EQ(tenantry({"migrate"}).exit_code, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'migrate'"), "1");  // the shared schema
  ASSERT_EQ(tenantry({"tenant", "create", "behind", "--name", "Behind"}).exit_code, 0);
  EXPECT_EQ(tenantry({"migrate"}).exit_code, 0);  // nothing to do: no entry
  EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'migrate'"), "1");
  sql("DELETE FROM behind.tenantry_migrations WHERE app = 'service'");
  sql("DROP TABLE behind.ticket_events, behind.tickets");
  sql("UPDATE tenants SET migrations_digest = NULL WHERE schema_name = 'behind'");
  auto migrated = tenantry({"migrate"});
  EXPECT_EQ(migrated.exit_code, 0) << migrated.output;
  EXPECT_EQ(
      sql("SELECT detail->>'schemas_migrated' || ' ' || outcome FROM audit_log WHERE action = 'migrate' "
          "ORDER BY id DESC LIMIT 1"),
      "1 ok");

  const std::string password_file = ::testing::TempDir() + "lifecycle-password";
  {
    FILE* f = std::fopen(password_file.c_str(), "w");
    std::fputs("a-long-admin-password\n", f);
    std::fclose(f);
  }
  ServeProcess admin(command(
      database_.conninfo(), {"admin", "create-user", "ops@example.test", "--password-stdin"}, password_file));
  EXPECT_EQ(admin.wait(), 0) << admin.log();
  EXPECT_EQ(sql("SELECT detail->>'email' FROM audit_log WHERE action = 'admin.create-user'"),
            "ops@example.test");
  EXPECT_EQ(
      sql("SELECT (detail->>'user_id')::bigint = (SELECT id FROM users WHERE email = 'ops@example.test') "
          "FROM audit_log WHERE action = 'admin.create-user'"),
      "t");
}

}  // namespace
}  // namespace tenantry

// The `tenantry` command end to end: the real binary against a database of the test's own.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "apps/registry.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "test_database.hpp"

namespace tenantry {
namespace {

struct Outcome {
  int exit_code;
  std::string output;  // stdout and stderr
};

class CliTest : public testing::PgTest {
 protected:
  Outcome tenantry(const std::string& args, const std::string& extra_env = "",
                   const std::string& input_file = "/dev/null") {
    return finish(start(args, extra_env, input_file));
  }
  /// Starts the command in the background; finish() collects its outcome.
  FILE* start(const std::string& args, const std::string& extra_env = "",
              const std::string& input_file = "/dev/null") {
    const std::string command = "cd '" + dir_ + "' && TENANTRY_DATABASE_URL=\"" + database_.conninfo() +
                                "\" " + extra_env + " " TENANTRY_BINARY " " + args + " <'" + input_file +
                                "' 2>&1";
    return ::popen(command.c_str(), "r");
  }
  static Outcome finish(FILE* pipe) {
    std::string output;
    std::array<char, 4096> buffer;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }
  std::string scalar(const std::string& sql) {
    return run([&]() -> Task<std::string> {
      auto r = co_await db::Session(*pool_).query(sql);
      co_return std::string(r.one().text(0));
    }());
  }
  void sql(const std::string& script) {
    run([&]() -> Task<void> { co_await db::Session(*pool_).execute_script(script); }());
  }
  std::string dir_ = ::testing::TempDir();
};

TEST_F(CliTest, LifecycleWithClearErrorsAndExitCodes) {
  EXPECT_EQ(tenantry("migrate").exit_code, 0);
  auto bad = tenantry("tenant create 'Bad Slug' --name X");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("invalid schema name"), std::string::npos) << bad.output;
  auto created = tenantry("tenant create shop --name 'The Shop' --domain Shop.Example.com.");
  EXPECT_EQ(created.exit_code, 0) << created.output;
  auto again = tenantry("tenant create shop --name 'The Shop'");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;
  auto list = tenantry("tenant list --json");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.output.find("\"domain\":\"shop.example.com\",\"is_primary\":true"), std::string::npos)
      << list.output;
  EXPECT_EQ(tenantry("tenant suspend shop --reason unpaid").exit_code, 0);
  EXPECT_NE(tenantry("tenant show shop").output.find("suspended (unpaid)"), std::string::npos);
  EXPECT_EQ(tenantry("tenant clone shop shop2").exit_code, 0);
  EXPECT_EQ(tenantry("tenant rename shop2 shop").exit_code, 1);
  EXPECT_EQ(tenantry("tenant rename shop2 shop3").exit_code, 0);
  auto unconfirmed = tenantry("tenant drop shop3");
  EXPECT_EQ(unconfirmed.exit_code, 1);
  EXPECT_NE(unconfirmed.output.find("--yes"), std::string::npos) << unconfirmed.output;
  EXPECT_EQ(tenantry("tenant drop shop3 --yes").exit_code, 0);
  EXPECT_EQ(tenantry("tenant show shop3").exit_code, 1);
  EXPECT_EQ(tenantry("tenant frobnicate").exit_code, 2);
  EXPECT_EQ(tenantry("tenant --help").exit_code, 0);
  EXPECT_EQ(tenantry("domain add shop 'bad domain'").exit_code, 2);
  EXPECT_EQ(scalar("SELECT string_agg(schema_name, ',') FROM tenants"), "shop");
}

TEST_F(CliTest, MaintenanceIsSetShownAndEndedFromTheCommandLine) {
  ASSERT_EQ(tenantry("migrate").exit_code, 0);
  ASSERT_EQ(tenantry("tenant create shop --name Shop").exit_code, 0);
  EXPECT_EQ(tenantry("tenant maintenance shop --retry-after 0").exit_code, 2);
  EXPECT_EQ(tenantry("tenant maintenance nobody").exit_code, 1);
  auto on = tenantry("tenant maintenance shop --retry-after 90 --message 'Back soon'");
  ASSERT_EQ(on.exit_code, 0) << on.output;
  EXPECT_NE(on.output.find("Retry-After: 90"), std::string::npos) << on.output;
  EXPECT_EQ(scalar("SELECT maintenance_retry_after || ' ' || maintenance_message FROM tenants"),
            "90 Back soon");
  auto shown = tenantry("tenant show shop");
  EXPECT_NE(shown.output.find("Retry-After 90 s (Back soon)"), std::string::npos) << shown.output;
  EXPECT_NE(tenantry("tenant list").output.find("active (maintenance)"), std::string::npos);
  EXPECT_NE(tenantry("tenant show shop --json").output.find("\"retry_after\":90"), std::string::npos);
  ASSERT_EQ(tenantry("tenant maintenance shop --off").exit_code, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants WHERE maintenance_since IS NOT NULL"), "0");
  EXPECT_EQ(tenantry("tenant maintenance shop --off").exit_code, 0);  // idempotent
  EXPECT_EQ(scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE action LIKE "
                   "'tenant.maintenance%'"),
            "tenant.maintenance.start,tenant.maintenance.end");
}

TEST_F(CliTest, FleetMigrateOf50TenantsReportsTheFailureAndARerunCompletesIt) {
  EXPECT_EQ(tenantry("migrate").exit_code, 0);
  migrations::MigrationRunner runner(*pool_, apps::installed());
  tenancy::TenantProvisioner provisioner(*pool_, runner.tenant_plan());
  for (int i = 0; i < 50; ++i) {
    const tenancy::NewTenant t{db::SchemaName("store" + std::to_string(i)), "Store"};
    run(provisioner.create(t));
  }
  // Roll every tenant back to "never migrated"; store7 keeps its products table, so its migration fails.
  for (int i = 0; i < 50; ++i) {
    const std::string s = "store" + std::to_string(i);
    sql("DELETE FROM " + s + ".tenantry_migrations" +
        (i == 7 ? "" : "; DROP TABLE " + s + ".ticket_events, " + s + ".tickets, " + s + ".products"));
  }
  sql("UPDATE tenants SET migrations_digest = NULL");

  auto first = tenantry("migrate --jobs 4");
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_NE(first.output.find("store7: FAILED: migration catalog/0001_products failed"), std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("tenants: 49 migrated, 0 already current, 1 failed"), std::string::npos)
      << first.output;

  sql("DROP TABLE store7.ticket_events, store7.tickets, store7.products");
  auto second = tenantry("migrate --jobs 4");
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("tenants: 1 migrated, 0 already current, 0 failed"), std::string::npos)
      << second.output;
  auto third = tenantry("migrate");
  EXPECT_NE(third.output.find("every tenant is up to date"), std::string::npos) << third.output;
  auto status = tenantry("migrate --status --tenant store7");
  EXPECT_NE(status.output.find("store7: 2 applied, 0 pending"), std::string::npos) << status.output;
}

// `migrate` waiting for a tenant's schema lock while `tenant drop` or `tenant rename` holds it (here: the
// same statements under the same lock, from a session of the test) must not fall through to public once the
// schema is gone: the tenant is skipped, which is no failure.
TEST_F(CliTest, MigrateRacingDropOrRenameSkipsTheTenantAndCreatesNothingInPublic) {
  ASSERT_EQ(tenantry("migrate").exit_code, 0);
  ASSERT_EQ(tenantry("tenant create gone --name Gone").exit_code, 0);
  ASSERT_EQ(tenantry("tenant create moved --name Moved").exit_code, 0);
  const std::string in_public =
      "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
      "AND relname IN ('products', 'tenantry_migrations')";
  ASSERT_EQ(scalar(in_public), "0");
  // catalog/0001_products pending, as in a schema restored from before it.
  auto make_pending = [&](const std::string& s) {
    sql("DROP TABLE " + s + ".products CASCADE; DELETE FROM " + s +
        ".tenantry_migrations WHERE app = 'catalog'; UPDATE tenants SET migrations_digest = NULL WHERE "
        "schema_name = '" +
        s + "'");
  };
  testing::AdminSession holder(database_.name());
  // Runs `args` while this test holds the lock of `schema`; once the command waits for it, `change` runs and
  // the lock is released with its commit.
  auto race = [&](const std::string& schema, const std::string& args, const std::string& change) {
    holder.exec("BEGIN");
    holder.exec("SELECT pg_advisory_xact_lock(1413828180, hashtext('" + schema + "'))");
    FILE* command = start(args);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (holder.exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND "
                       "database = (SELECT oid FROM pg_database WHERE datname = current_database())") !=
           "1") {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << args << " never waited for the lock of " << schema;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    holder.exec(change);
    holder.exec("COMMIT");
    return finish(command);
  };

  make_pending("gone");
  auto dropped =
      race("gone", "migrate", "DROP SCHEMA gone CASCADE; DELETE FROM tenants WHERE schema_name = 'gone'");
  EXPECT_EQ(dropped.exit_code, 0) << dropped.output;
  EXPECT_NE(dropped.output.find("gone: skipped"), std::string::npos) << dropped.output;
  EXPECT_NE(dropped.output.find("tenants: 0 migrated, 0 already current, 0 failed, 1 skipped"),
            std::string::npos)
      << dropped.output;
  EXPECT_EQ(scalar(in_public), "0");

  make_pending("moved");
  auto renamed = race("moved", "migrate --tenant moved",
                      "ALTER SCHEMA moved RENAME TO moved2; "
                      "UPDATE tenants SET schema_name = 'moved2' WHERE schema_name = 'moved'");
  EXPECT_EQ(renamed.exit_code, 0) << renamed.output;
  EXPECT_NE(renamed.output.find("moved: skipped"), std::string::npos) << renamed.output;
  EXPECT_EQ(scalar(in_public), "0");
  // The renamed tenant still has its migration to do, and does it under its new name.
  auto status = tenantry("migrate --status --tenant moved2");
  EXPECT_NE(status.output.find("moved2: 1 applied, 1 pending"), std::string::npos) << status.output;
  auto rerun = tenantry("migrate --tenant moved2");
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("moved2: applied 1 migration(s) (catalog/0001_products)"), std::string::npos)
      << rerun.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM moved2.products"), "0");
  EXPECT_EQ(tenantry("migrate --tenant moved").exit_code, 1);  // no such tenant any more

  // A catalog entry whose schema is gone is skipped by --status too, not shown as all pending.
  sql("DROP SCHEMA moved2 CASCADE");
  auto missing = tenantry("migrate --status");
  EXPECT_NE(missing.output.find("moved2: skipped"), std::string::npos) << missing.output;
  // Provisioning (MigrationRunner::apply_all) still builds a tenant in its own schema only.
  ASSERT_EQ(tenantry("tenant create fresh --name Fresh").exit_code, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM fresh.tenantry_migrations"), "2");
  EXPECT_EQ(scalar(in_public), "0");
}

// A history restored from an old dump (or edited by hand) while the catalog's digest still says current:
// --status, --check and migrate agree that the migration is pending, and migrate applies it.
TEST_F(CliTest, MigrateCheckAndStatusAgreeWhenAHistoryIsBehindItsDigest) {
  ASSERT_EQ(tenantry("migrate").exit_code, 0);
  ASSERT_EQ(tenantry("tenant create one --name One").exit_code, 0);
  ASSERT_EQ(tenantry("tenant create two --name Two").exit_code, 0);
  auto current = tenantry("migrate --check");
  EXPECT_EQ(current.exit_code, 0) << current.output;
  EXPECT_NE(current.output.find("migrations are current (3 schema(s) checked)"), std::string::npos)
      << current.output;

  sql("DROP TABLE two.ticket_events, two.tickets; DELETE FROM two.tenantry_migrations WHERE app = 'service'");
  auto status = tenantry("migrate --status --tenant two");
  EXPECT_NE(status.output.find("two: 1 applied, 1 pending"), std::string::npos) << status.output;
  auto pending = tenantry("migrate --check");
  EXPECT_EQ(pending.exit_code, 1) << pending.output;
  EXPECT_NE(pending.output.find("two: 1 pending\n  [ ] service/0001_tickets\n"), std::string::npos)
      << pending.output;
  EXPECT_EQ(pending.output.find("one:"), std::string::npos) << pending.output;
  auto migrated = tenantry("migrate");
  EXPECT_EQ(migrated.exit_code, 0) << migrated.output;
  EXPECT_NE(migrated.output.find("tenants: 1 migrated, 0 already current, 0 failed, 0 skipped"),
            std::string::npos)
      << migrated.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM two.tickets"), "0");
  EXPECT_EQ(tenantry("migrate --check").exit_code, 0);
  auto again = tenantry("migrate");
  EXPECT_NE(again.output.find("every tenant is up to date"), std::string::npos) << again.output;

  // A history table gone altogether: the verification cannot read it, and each schema's own run decides.
  sql("DROP TABLE one.ticket_events, one.tickets, one.products, one.tenantry_migrations");
  EXPECT_EQ(tenantry("migrate --check").exit_code, 1);
  auto rebuilt = tenantry("migrate");
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.output;
  EXPECT_NE(rebuilt.output.find("tenants: 1 migrated, 1 already current"), std::string::npos)
      << rebuilt.output;
  EXPECT_EQ(tenantry("migrate --check").exit_code, 0);

  // The shared history counts too.
  sql("DELETE FROM tenantry_shared_migrations WHERE app = 'admin' AND name = '0001_audit_log'");
  auto shared = tenantry("migrate --check");
  EXPECT_EQ(shared.exit_code, 1) << shared.output;
  EXPECT_NE(shared.output.find("public: 1 pending\n  [ ] admin/0001_audit_log\n"), std::string::npos)
      << shared.output;
}

// database.statement_timeout_ms and lock_timeout_ms are validated, and are for the server's request
// connections: the CLI's migrations and provisioning, where long DDL is legitimate, keep the database's own.
TEST_F(CliTest, DatabaseTimeoutsAreValidatedAndLeaveMigrationsAndProvisioningAlone) {
  auto timeouts = tenantry("config show");
  EXPECT_NE(timeouts.output.find("statement_timeout_ms = 30000"), std::string::npos) << timeouts.output;
  EXPECT_NE(timeouts.output.find("lock_timeout_ms = 5000"), std::string::npos) << timeouts.output;
  auto negative_timeout = tenantry("config show", "TENANTRY_DATABASE_LOCK_TIMEOUT_MS=-1");
  EXPECT_EQ(negative_timeout.exit_code, 2);
  EXPECT_NE(negative_timeout.output.find("database.lock_timeout_ms must not be negative"), std::string::npos)
      << negative_timeout.output;
  const std::string tiny = "TENANTRY_DATABASE_STATEMENT_TIMEOUT_MS=1 TENANTRY_DATABASE_LOCK_TIMEOUT_MS=1";
  auto migrated = tenantry("migrate", tiny);
  EXPECT_EQ(migrated.exit_code, 0) << migrated.output;
  auto created = tenantry("tenant create slow --name Slow", tiny);
  EXPECT_EQ(created.exit_code, 0) << created.output;
  auto shown = tenantry("exec --tenant slow -- 'SHOW statement_timeout'", tiny);
  EXPECT_NE(shown.output.find("\n0\n"), std::string::npos) << shown.output;
}

TEST_F(CliTest, ExecReportsPerTenant) {
  EXPECT_EQ(tenantry("migrate").exit_code, 0);
  EXPECT_EQ(tenantry("tenant create one --name One").exit_code, 0);
  EXPECT_EQ(tenantry("tenant create two --name Two").exit_code, 0);
  auto insert =
      tenantry("exec --tenant one -- \"INSERT INTO products (sku, name, price_cents) VALUES ('A', 'a', 1)\"");
  EXPECT_EQ(insert.exit_code, 0) << insert.output;
  auto count = tenantry("exec --all -- 'SELECT count(*) AS n FROM products'");
  EXPECT_EQ(count.exit_code, 0);
  EXPECT_NE(count.output.find("== one\nn\n1\n"), std::string::npos) << count.output;
  EXPECT_NE(count.output.find("== two\nn\n0\n"), std::string::npos) << count.output;
  auto failing = tenantry("exec --all -- 'SELECT * FROM nothing_here'");
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_NE(failing.output.find("0 succeeded, 2 failed"), std::string::npos) << failing.output;
}

TEST_F(CliTest, DemoSeedCreatesStoresUsersAndTicketsInEveryState) {
  EXPECT_EQ(tenantry("migrate").exit_code, 0);
  auto seeded = tenantry("demo seed");
  EXPECT_EQ(seeded.exit_code, 0) << seeded.output;
  EXPECT_EQ(scalar("SELECT string_agg(schema_name, ',' ORDER BY id) FROM tenants"), "northwind,acme,globex");
  EXPECT_EQ(scalar("SELECT string_agg(DISTINCT status, ',' ORDER BY status) FROM acme.tickets"),
            "cancelled,delivered,diagnosing,ready,received,repairing,waiting_parts");
  EXPECT_EQ(scalar("SELECT count(*) FROM northwind.ticket_events WHERE kind = 'status'"), "16");
  // One person, two stores, two roles.
  EXPECT_EQ(scalar("SELECT string_agg(t.schema_name || '=' || m.role, ',' ORDER BY t.id) FROM memberships m "
                   "JOIN users u ON u.id = m.user_id JOIN tenants t ON t.id = m.tenant_id "
                   "WHERE u.email = 'sam@techstore.demo'"),
            "northwind=staff,acme=admin");
  EXPECT_NE(scalar("SELECT count(*) FROM globex.products"), "0");
  auto again = tenantry("demo seed --if-empty");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "3");
}

TEST_F(CliTest, ConfigIsValidatedAndShownWithSecretsMasked) {
  auto shown = tenantry("config show", "TENANTRY_MIGRATIONS_JOBS=7");
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_NE(shown.output.find("jobs = 7"), std::string::npos) << shown.output;
  auto masked = tenantry("config show", "TENANTRY_DATABASE_URL=postgresql://app:hunter2@db.example/x");
  EXPECT_EQ(masked.output.find("hunter2"), std::string::npos) << masked.output;
  EXPECT_NE(masked.output.find("app:***@"), std::string::npos) << masked.output;
  std::ofstream(dir_ + "/bad.toml") << "[server]\nlisten = \"127.0.0.1:8080\"\nlisen = 1\n";
  auto unknown = tenantry("--config bad.toml config show");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("unknown key 'server.lisen'"), std::string::npos) << unknown.output;
  auto bad_value = tenantry("config show", "TENANTRY_SERVER_MAX_BODY_BYTES=lots");
  EXPECT_EQ(bad_value.exit_code, 2);
  EXPECT_NE(bad_value.output.find("server.max_body_bytes"), std::string::npos) << bad_value.output;
  auto negative = tenantry("config show", "TENANTRY_DATABASE_AFFINITY_WAIT_MS=-1");
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_NE(negative.output.find("database.affinity_wait_ms must not be negative"), std::string::npos)
      << negative.output;
  auto affinity = tenantry("config show", "TENANTRY_DATABASE_CONNECTIONS_PER_TENANT=3");
  EXPECT_NE(affinity.output.find("connections_per_tenant = 3"), std::string::npos) << affinity.output;
}

TEST_F(CliTest, DisablingAUserOrTakingAdminRightsRecordsARevocation) {
  ASSERT_EQ(tenantry("migrate").exit_code, 0);
  const std::string password_file = dir_ + "/password";
  std::ofstream(password_file) << "long enough password\n";
  // The same normal form as logins compare: trimmed and lower-cased.
  auto made = tenantry("admin create-user ' Root@Example.COM ' --password-stdin", "", password_file);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  EXPECT_EQ(
      scalar("SELECT count(*) FROM users WHERE email = 'root@example.com' AND email_verified_at IS NOT NULL"),
      "1");
  auto disabled = tenantry("admin disable-user ROOT@example.com");
  EXPECT_EQ(disabled.exit_code, 0) << disabled.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM token_revocations r JOIN users u ON u.id = r.user_id "
                   "WHERE u.email = 'root@example.com' AND r.tenant_id IS NULL"),
            "1");
  EXPECT_EQ(tenantry("admin enable-user root@example.com").exit_code, 0);
  EXPECT_EQ(scalar("SELECT is_disabled::text FROM users WHERE email = 'root@example.com'"), "false");
  EXPECT_EQ(tenantry("admin revoke-admin root@example.com").exit_code, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM token_revocations r JOIN users u ON u.id = r.user_id "
                   "WHERE u.email = 'root@example.com' AND r.tenant_id = 0"),
            "1");
  auto unknown = tenantry("admin disable-user nobody@example.com");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("no account"), std::string::npos) << unknown.output;
  EXPECT_EQ(tenantry("admin disable-user 'not an email'").exit_code, 2);
}

}  // namespace
}  // namespace tenantry

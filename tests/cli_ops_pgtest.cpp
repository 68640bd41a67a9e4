// The `tenantry` command for operators: --version, "did you mean", shell completion, --json, progress,
// exec --jobs, tenant create --owner / --plan / default domain, and `doctor`. The real binary, end to end.
#include <boost/json.hpp>
#include <filesystem>

#include "cli_fixture.hpp"

namespace tenantry {
namespace {

class CliOpsTest : public testing::CliFixture {
 protected:
  void migrate_and_create(std::initializer_list<const char*> slugs) {
    ASSERT_EQ(tenantry("migrate").exit_code, 0);
    for (const char* slug : slugs) {
      auto created = tenantry(std::string("tenant create ") + slug + " --name " + slug);
      ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
    }
  }
  /// Standard output parsed as one JSON document (a failure when it is not one).
  static boost::json::value document(const testing::CliOutcome& outcome) {
    boost::system::error_code ec;
    auto value = boost::json::parse(outcome.out, ec);
    EXPECT_FALSE(ec) << "not one JSON document: " << outcome.out << outcome.err;
    return value;
  }
  /// Every message of the file mail backend, concatenated.
  std::string mails() {
    std::string all;
    if (std::filesystem::exists(dir_ + "/mail"))
      for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/mail"))
        all += read_file(entry.path());
    return all;
  }
};

TEST_F(CliOpsTest, VersionNamesTheProjectVersionAndTheCompiler) {
  auto version = tenantry("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("tenantry " TENANTRY_EXPECTED_VERSION, 0), 0u) << version.out;
  EXPECT_NE(version.out.find(", built with "), std::string::npos) << version.out;
}

TEST_F(CliOpsTest, TyposOfCommandsAndOptionsSuggestWhatWasMeant) {
  auto command = tenantry("tennat list");
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.err.find("unknown command 'tennat'; did you mean 'tenant'?"), std::string::npos)
      << command.err;
  auto sub = tenantry("tenant lsit");
  EXPECT_EQ(sub.exit_code, 2);
  EXPECT_NE(sub.err.find("unknown command 'tenant lsit'; did you mean 'tenant list'?"), std::string::npos)
      << sub.err;
  auto option = tenantry("tenant create shop --nmae Shop");
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_NE(option.err.find("unknown option '--nmae' for 'tenantry tenant create'; did you mean '--name'?"),
            std::string::npos)
      << option.err;
  auto far = tenantry("frobnicate");
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_NE(far.err.find("unknown command 'frobnicate' (see `tenantry --help`)"), std::string::npos)
      << far.err;
  // What follows -- is exec's SQL, never a command.
  EXPECT_EQ(tenantry("exec --tenant nobody -- tennat").err.find("did you mean"), std::string::npos);
}

TEST_F(CliOpsTest, CompletionScriptsAreValidAndCompleteTheRealCommandTree) {
  ASSERT_EQ(tenantry("completion bash > bash_completion").exit_code, 0);
  EXPECT_EQ(shell("bash -n bash_completion").exit_code, 0);
  // Completes like bash would: the words typed so far in COMP_WORDS, the candidates in COMPREPLY.
  auto complete = [&](const std::string& words) {
    return shell("bash -c 'source ./bash_completion; COMP_WORDS=(" + words +
                 "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _tenantry; echo \"${COMPREPLY[*]}\"'")
        .out;
  };
  std::string top = complete("tenantry \"\"");
  top = " " + top.substr(0, top.find('\n')) + " ";
  for (const char* command : {"db", "migrate", "tenant", "domain", "exec", "config", "serve", "admin",
                              "plans", "doctor", "completion", "--version", "--config"})
    EXPECT_NE(top.find(std::string(" ") + command + " "), std::string::npos) << command << ": " << top;
  EXPECT_EQ(complete("tenantry tenant cr"), "create\n");
  EXPECT_EQ(complete("tenantry --config x.toml doc"), "doctor\n");
  EXPECT_NE(complete("tenantry tenant create shop --o"), "") << "tenant create's options";
  EXPECT_EQ(complete("tenantry tenant create shop --ow"), "--owner\n");
  EXPECT_EQ(complete("tenantry admin dis"), "disable-user\n");

  auto zsh = tenantry("completion zsh");
  EXPECT_EQ(zsh.exit_code, 0);
  EXPECT_EQ(zsh.out.rfind("#compdef tenantry\n", 0), 0u) << zsh.out;
  EXPECT_NE(zsh.out.find("bashcompinit"), std::string::npos);
  EXPECT_EQ(tenantry("completion fish").exit_code, 2);
}

TEST_F(CliOpsTest, JsonIsOneDocumentOnStdoutAndErrorsStayOnStderr) {
  ASSERT_EQ(tenantry("migrate").exit_code, 0);
  auto created = tenantry("tenant create shop --name Shop --plan pro --json");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(document(created).at("schema").as_string(), "shop");
  EXPECT_EQ(document(created).at("plan").as_string(), "pro");
  EXPECT_EQ(document(tenantry("tenant list --json")).as_array().size(), 1u);
  EXPECT_EQ(document(tenantry("tenant show shop --json")).at("name").as_string(), "Shop");

  auto migrated = document(tenantry("migrate --json"));
  EXPECT_EQ(migrated.at("shared").at("schema").as_string(), "public");
  EXPECT_EQ(migrated.at("failed").as_int64(), 0);
  EXPECT_TRUE(migrated.at("elapsed_seconds").is_double());
  auto status = document(tenantry("migrate --status --tenant shop --json"));
  EXPECT_EQ(status.at("schemas").at(0).at("schema").as_string(), "shop");
  EXPECT_EQ(status.at("schemas").at(0).at("pending").as_array().size(), 0u);
  EXPECT_EQ(status.at("schemas").at(0).at("applied").as_array().size(), 2u);
  auto check = tenantry("migrate --check --json");
  EXPECT_EQ(check.exit_code, 0);
  EXPECT_EQ(document(check).at("current").as_bool(), true);
  EXPECT_EQ(document(check).at("schemas_checked").as_int64(), 2);

  auto plans = document(tenantry("plans --json"));
  EXPECT_EQ(plans.at(1).at("name").as_string(), "free");
  EXPECT_EQ(plans.at(1).at("max_members").as_int64(), 3);
  EXPECT_TRUE(plans.at(0).at("max_members").is_null());
  auto config =
      document(tenantry("config show --json", "TENANTRY_DATABASE_URL=postgresql://app:hunter2@db/x"));
  EXPECT_EQ(config.at("migrations").at("jobs").as_int64(), 4);
  EXPECT_EQ(boost::json::serialize(config).find("hunter2"), std::string::npos);

  auto exec = tenantry("exec --all --json -- 'SELECT 1 AS one, NULL AS nothing'");
  EXPECT_EQ(exec.exit_code, 0) << exec.err;
  const auto results = document(exec);
  EXPECT_EQ(results.at("results").at(0).at("tenant").as_string(), "shop");
  EXPECT_EQ(boost::json::serialize(results.at("results").at(0).at("rows")), R"([["1",null]])");
  EXPECT_EQ(results.at("succeeded").as_int64(), 1);
  auto failing = tenantry("exec --all --json -- 'SELECT * FROM nothing_here'");
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_EQ(document(failing).at("results").at(0).at("ok").as_bool(), false);

  std::ofstream(dir_ + "/password") << "long enough password\n";
  auto admin = tenantry("admin create-user root@example.com --password-stdin --json < password");
  EXPECT_EQ(document(admin).at("platform_admin").as_bool(), true) << admin.err;
  auto disabled = tenantry("admin disable-user root@example.com --json");
  EXPECT_EQ(boost::json::serialize(document(disabled)), R"({"email":"root@example.com","disabled":true})");

  auto missing = tenantry("tenant show nobody --json");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_NE(missing.err.find("error: "), std::string::npos) << missing.err;
}

// Three tenants wait for each other in one DO block: each counts itself in on a sequence (which no
// transaction hides), then waits until all three have; they can only all get past it when exec runs them at
// the same time. The SQL quotes with $-tags only, so that the shell's single quotes hold it.
TEST_F(CliOpsTest, ExecJobsRunsTenantsInParallel) {
  migrate_and_create({"one", "two", "three"});
  ASSERT_EQ(tenantry("exec --tenant one -- 'CREATE SEQUENCE public.exec_barrier'").exit_code, 0);
  const std::string barrier =
      "DO $b$ BEGIN PERFORM nextval($s$public.exec_barrier$s$); FOR i IN 1..200 LOOP "
      "EXIT WHEN (SELECT last_value FROM public.exec_barrier) >= 3; PERFORM pg_sleep(0.05); END LOOP; "
      "IF (SELECT last_value FROM public.exec_barrier) < 3 THEN RAISE EXCEPTION $s$alone$s$; END IF; END $b$";
  auto parallel = tenantry("exec --all --jobs 3 -- '" + barrier + "'");
  EXPECT_EQ(parallel.exit_code, 0) << parallel.out << parallel.err;
  EXPECT_NE(parallel.out.find("3 succeeded, 0 failed in "), std::string::npos) << parallel.out;
  // The order of the report is the catalog's, whatever order the jobs finished in.
  EXPECT_LT(parallel.out.find("== one"), parallel.out.find("== two"));
  EXPECT_LT(parallel.out.find("== two"), parallel.out.find("== three"));
  EXPECT_EQ(tenantry("exec --all --jobs 0 -- 'SELECT 1'").exit_code, 2);
}

// On a terminal (here a pseudo-terminal made by script(1)) fleet commands draw "done/total tenants,
// elapsed, ETA" on stderr; without one they keep quiet, and the summary always says how long it took.
TEST_F(CliOpsTest, FleetProgressShowsElapsedAndEtaOnATerminal) {
  migrate_and_create({"one", "two", "three"});
  for (const char* s : {"one", "two", "three"})
    ASSERT_EQ(tenantry(std::string("exec --tenant ") + s +
                       " -- 'DROP TABLE ticket_events, tickets; DELETE FROM tenantry_migrations WHERE app = "
                       "$$service$$'")
                  .exit_code,
              0);
  ASSERT_EQ(
      scalar("WITH u AS (UPDATE tenants SET migrations_digest = NULL RETURNING 1) SELECT count(*) FROM u"),
      "3");
  auto on_terminal = [&](const std::string& args) {
    return shell(environment() + " script -qec \"" TENANTRY_BINARY " " + args + "\" /dev/null");
  };
  auto migrated = on_terminal("migrate --jobs 1");
  EXPECT_EQ(migrated.exit_code, 0) << migrated.out;
  EXPECT_NE(migrated.out.find("migrating 1/3 tenants, "), std::string::npos) << migrated.out;
  EXPECT_NE(migrated.out.find(" elapsed, ETA "), std::string::npos) << migrated.out;
  EXPECT_NE(migrated.out.find("migrating 3/3 tenants, "), std::string::npos) << migrated.out;
  EXPECT_NE(migrated.out.find("tenants: 3 migrated, 0 already current, 0 failed, 0 skipped in "),
            std::string::npos)
      << migrated.out;
  auto exec = on_terminal("exec --all -- 'SELECT 1'");
  EXPECT_NE(exec.out.find("exec: 2/3 tenants, "), std::string::npos) << exec.out;
  auto doctor = on_terminal("doctor");
  EXPECT_NE(doctor.out.find("checking 3/3 tenants, "), std::string::npos) << doctor.out;

  auto quiet = tenantry("exec --all -- 'SELECT 1'");
  EXPECT_EQ(quiet.err, "");
  EXPECT_NE(quiet.out.find("3 succeeded, 0 failed in "), std::string::npos) << quiet.out;
}

TEST_F(CliOpsTest, TenantCreateOwnerIsAVerifiedAccountOrAnInvitation) {
  ASSERT_EQ(tenantry("migrate").exit_code, 0);
  scalar(
      "WITH u AS (INSERT INTO users (email, password_hash, display_name, email_verified_at) "
      "VALUES ('verified@example.com', 'x', '', now()), ('unverified@example.com', 'x', '', NULL) "
      "RETURNING 1) SELECT count(*) FROM u");
  auto member = tenantry("tenant create shop --name Shop --owner ' Verified@Example.COM '");
  ASSERT_EQ(member.exit_code, 0) << member.err;
  EXPECT_NE(member.out.find("owner: verified@example.com (an existing verified account)"), std::string::npos)
      << member.out;
  EXPECT_EQ(
      scalar("SELECT string_agg(u.email || '=' || m.role, ',') FROM memberships m JOIN users u ON u.id = "
             "m.user_id JOIN tenants t ON t.id = m.tenant_id WHERE t.schema_name = 'shop'"),
      "verified@example.com=owner");
  EXPECT_EQ(mails(), "");

  // No account, or an unverified one: an owner invitation, mailed; nobody is a member until it is accepted.
  for (const char* who : {"new@example.com", "unverified@example.com"}) {
    const std::string slug = who[0] == 'n' ? "fresh" : "other";
    auto invited =
        tenantry("tenant create " + slug + " --name 'Store " + slug + "' --owner " + who + " --json");
    ASSERT_EQ(invited.exit_code, 0) << invited.err;
    const auto owner = document(invited).at("owner");
    EXPECT_EQ(owner.at("status").as_string(), "invited");
    EXPECT_EQ(owner.at("email").as_string(), who);
    EXPECT_EQ(scalar("SELECT count(*) FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE "
                     "t.schema_name = '" +
                     slug + "'"),
              "0");
    EXPECT_EQ(
        scalar("SELECT string_agg(l.role || ':' || t.schema_name, ',') FROM auth_links l JOIN tenants t ON "
               "t.id = l.tenant_id WHERE l.purpose = 'invitation' AND l.email = '" +
               std::string(who) + "' AND l.created_by IS NULL AND l.id = " +
               std::to_string(owner.at("invitation_id").as_int64())),
        "owner:" + slug);
    EXPECT_NE(mails().find("You are invited to join the store \"Store " + slug + "\" as owner"),
              std::string::npos)
        << mails();
  }
  // All or nothing: a tenant that cannot be created leaves no invitation behind.
  EXPECT_EQ(tenantry("tenant create shop --name Again --owner late@example.com").exit_code, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM auth_links WHERE email = 'late@example.com'"), "0");
  EXPECT_EQ(tenantry("tenant create bad --name Bad --owner 'not an address'").exit_code, 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants WHERE schema_name = 'bad'"), "0");
}

TEST_F(CliOpsTest, TenantCreateValidatesThePlanAndGivesTheDefaultDomain) {
  ASSERT_EQ(tenantry("migrate").exit_code, 0);
  auto gold = tenantry("tenant create shop --name Shop --plan gold");
  EXPECT_EQ(gold.exit_code, 2);
  EXPECT_NE(gold.err.find("unknown plan 'gold' (configured plans: enterprise, free, pro)"), std::string::npos)
      << gold.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "0");
  ASSERT_EQ(tenantry("tenant create my_shop --name Shop --plan enterprise",
                     "TENANTRY_TENANCY_BASE_DOMAIN=example.test")
                .exit_code,
            0);
  EXPECT_EQ(
      scalar("SELECT string_agg(d.domain || ':' || d.is_primary || ':' || t.plan, ',') FROM domains d JOIN "
             "tenants t ON t.id = d.tenant_id WHERE t.schema_name = 'my_shop'"),
      "my-shop.example.test:true:enterprise");
  ASSERT_EQ(tenantry("tenant create own --name Own --domain own.example.com").exit_code, 0);
  EXPECT_EQ(scalar("SELECT string_agg(d.domain, ',') FROM domains d JOIN tenants t ON t.id = d.tenant_id "
                   "WHERE t.schema_name = 'own'"),
            "own.example.com");
}

TEST_F(CliOpsTest, DoctorReportsDriftPerTenantAndCleanTenantsOk) {
  migrate_and_create({"clean", "dropped", "added"});
  auto healthy = tenantry("doctor");
  EXPECT_EQ(healthy.exit_code, 0) << healthy.out << healthy.err;
  EXPECT_NE(healthy.out.find("0 of 3 tenant(s) drifted"), std::string::npos) << healthy.out;

  ASSERT_EQ(tenantry("exec --tenant dropped -- 'ALTER TABLE products DROP COLUMN description'").exit_code, 0);
  ASSERT_EQ(
      tenantry("exec --tenant dropped -- 'ALTER TABLE products ALTER COLUMN stock SET DEFAULT 5'").exit_code,
      0);
  ASSERT_EQ(
      tenantry("exec --tenant added -- 'CREATE INDEX products_sku_lower ON products (lower(sku))'").exit_code,
      0);
  ASSERT_EQ(
      tenantry("exec --tenant added -- 'CREATE TABLE notes (id bigint PRIMARY KEY, body text)'").exit_code,
      0);

  auto report = tenantry("doctor --jobs 2");
  EXPECT_EQ(report.exit_code, 1) << report.out << report.err;
  EXPECT_NE(report.out.find("clean: OK\n"), std::string::npos) << report.out;
  EXPECT_NE(
      report.out.find("dropped: 2 difference(s)\n"
                      "  missing column products.description: text NOT NULL DEFAULT ''::text\n"
                      "  changed column products.stock: expected bigint NOT NULL DEFAULT 0, found bigint "
                      "NOT NULL DEFAULT 5\n"),
      std::string::npos)
      << report.out;
  EXPECT_NE(
      report.out.find("added: 2 difference(s)\n"
                      "  extra table notes (with 4 column(s), index(es) and constraint(s))\n"
                      "  extra index products_sku_lower: CREATE INDEX products_sku_lower ON products USING "
                      "btree (lower(sku))\n"),
      std::string::npos)
      << report.out;
  EXPECT_NE(report.out.find("2 of 3 tenant(s) drifted"), std::string::npos) << report.out;

  auto json = tenantry("doctor --json --tenant added --tenant clean");
  EXPECT_EQ(json.exit_code, 1);
  const auto tenants = document(json).at("tenants");
  EXPECT_EQ(tenants.at(0).at("tenant").as_string(), "added");
  EXPECT_EQ(
      boost::json::serialize(tenants.at(0).at("drift").at(1)),
      R"({"change":"extra","kind":"index","name":"products_sku_lower","table":"products","expected":null,)"
      R"j("found":"CREATE INDEX products_sku_lower ON products USING btree (lower(sku))"})j");
  EXPECT_TRUE(tenants.at(1).at("ok").as_bool());
  // The expected shape came from a scratch schema that was rolled back.
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenantry_doctor%'"), "0");
}

}  // namespace
}  // namespace tenantry

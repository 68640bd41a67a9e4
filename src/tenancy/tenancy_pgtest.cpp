#include <gtest/gtest.h>

#include "catalog_test.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"

namespace tenantry::tenancy {
namespace {

using testing::CatalogTest;

class TenancyTest : public CatalogTest {};

TEST_F(TenancyTest, RowsOfOneTenantAreInvisibleFromAnother) {
  create("alpha");
  create("beta");
  run([&]() -> Task<void> {
    db::Session alpha(*pool_, db::SchemaName("alpha")), beta(*pool_, db::SchemaName("beta"));
    co_await alpha.query("INSERT INTO notes (body) VALUES ('alpha secret')");
    co_await beta.query("INSERT INTO notes (body) VALUES ('beta 1'), ('beta 2')");
    auto a = co_await alpha.query("SELECT body FROM notes");
    auto b = co_await beta.query("SELECT body FROM notes ORDER BY id");
    EXPECT_EQ(a.size(), 1);
    EXPECT_EQ(a.one().get<std::string>(0), "alpha secret");
    EXPECT_EQ(b.size(), 2);
    EXPECT_EQ(b[0].get<std::string>(0), "beta 1");
    // The public session sees no tenant table at all.
    EXPECT_THROW(co_await pool_->session().query("SELECT * FROM notes"), db::UndefinedTable);
  }());
}

TEST_F(TenancyTest, SharedTablesLiveInPublicAndTenantTablesOnlyInTenantSchemas) {
  create("alpha");
  EXPECT_EQ(
      scalar(
          "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"),
      "domains,tenant_spares,tenantry_shared_migrations,tenants");
  EXPECT_EQ(
      scalar(
          "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'alpha'"),
      "notes,tenantry_migrations");
}

TEST_F(TenancyTest, CreateIsAtomicWhenAMigrationFails) {
  static constexpr std::array<migrations::MigrationSource, 2> broken{
      {{"notes", "0001_notes", "CREATE TABLE notes (id bigint PRIMARY KEY)"},
       {"notes", "0002_broken", "CREATE TABLE more (id bigint PRIMARY KEY); SELECT * FROM no_such_table"}}};
  static const migrations::App broken_app{"notes", {}, broken};
  use_apps({&app(), &broken_app});
  try {
    create("gamma");
    FAIL() << "create should fail";
  } catch (const ProvisioningError& e) {
    EXPECT_NE(std::string(e.what()).find("notes/0002_broken"), std::string::npos) << e.what();
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'gamma'"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "0");
  // Once the migration is fixed, the same create succeeds.
  static constexpr std::array<migrations::MigrationSource, 2> fixed{
      {{"notes", "0001_notes", "CREATE TABLE notes (id bigint PRIMARY KEY)"},
       {"notes", "0002_broken", "CREATE TABLE more (id bigint PRIMARY KEY)"}}};
  static const migrations::App fixed_app{"notes", {}, fixed};
  use_apps({&app(), &fixed_app});
  auto t = create("gamma");
  EXPECT_EQ(t.state, TenantState::kActive);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_migrations", "gamma"), "2");
}

TEST_F(TenancyTest, ARowLeftByACrashedAttemptIsTakenOver) {
  scalar("INSERT INTO tenants (schema_name, name) VALUES ('delta', 'Crashed') RETURNING id");
  auto t = create("delta");
  EXPECT_EQ(t.state, TenantState::kActive);
  EXPECT_EQ(t.name, "Tenant delta");
}

TEST_F(TenancyTest, DuplicateSlugAndDomainAreConflictsThatLeaveNothing) {
  create("alpha");
  EXPECT_THROW(create("alpha"), TenantConflict);
  run(catalog().add_domain(db::SchemaName("alpha"), DomainName("shop.example.com")));
  auto p = provisioner();
  NewTenant taken{db::SchemaName("beta"), "Beta", {DomainName("SHOP.example.com")}};
  EXPECT_THROW(run(p.create(taken)), TenantConflict);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants WHERE schema_name = 'beta'"), "0");
}

TEST_F(TenancyTest, OnePrimaryDomainPerTenantEnforcedByTheDatabase) {
  create("alpha");
  auto c = catalog();
  run(c.add_domain(db::SchemaName("alpha"), DomainName("a.example.com")));
  run(c.add_domain(db::SchemaName("alpha"), DomainName("b.example.com")));
  auto t = run(c.get(db::SchemaName("alpha")));
  EXPECT_EQ(t.primary_domain(), "a.example.com");
  run(c.set_primary(DomainName("b.example.com")));
  EXPECT_EQ(run(c.get(db::SchemaName("alpha"))).primary_domain(), "b.example.com");
  EXPECT_THROW(scalar("UPDATE domains SET is_primary = true"), db::UniqueViolation);
  run(c.remove_domain(DomainName("b.example.com")));
  EXPECT_EQ(run(c.get(db::SchemaName("alpha"))).primary_domain(), "a.example.com");
  EXPECT_THROW(run(c.remove_domain(DomainName("b.example.com"))), TenantNotFound);
}

TEST_F(TenancyTest, StateTransitions) {
  create("alpha");
  auto c = catalog();
  const db::SchemaName alpha("alpha");
  run(c.suspend(alpha, "unpaid"));
  EXPECT_EQ(run(c.get(alpha)).state, TenantState::kSuspended);
  EXPECT_EQ(run(c.get(alpha)).state_reason, "unpaid");
  run(c.resume(alpha));
  run(c.archive(alpha));
  EXPECT_THROW(run(c.suspend(alpha)), TenantConflict);
  run(c.resume(alpha));
  EXPECT_EQ(run(c.get(alpha)).state, TenantState::kActive);
  EXPECT_THROW(run(c.suspend(db::SchemaName("nobody"))), TenantNotFound);
}

TEST_F(TenancyTest, CreateRenamesAReadyMadeSpareIntoPlace) {
  auto p = provisioner();
  EXPECT_EQ(run(p.refill_spares(2)), 2u);
  EXPECT_EQ(run(p.refill_spares(2)), 0u);  // already full
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenantry_spare_%'"), "2");
  const auto from_spare = provisioning_stats().from_spare.load();
  auto t = create("alpha");
  EXPECT_EQ(provisioning_stats().from_spare.load(), from_spare + 1);
  EXPECT_EQ(t.state, TenantState::kActive);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenant_spares"), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_migrations", "alpha"), "1");
  EXPECT_EQ(scalar("INSERT INTO notes (body) VALUES ('x') RETURNING id", "alpha"), "1");
  EXPECT_EQ(run(runner_->migrate_tenant(db::SchemaName("alpha"))).kind,
            migrations::SchemaOutcome::Kind::kCurrent);
  // Spares made for other migrations are dropped, and replaced.
  static constexpr std::array<migrations::MigrationSource, 2> v2{
      {testing::kNotesV1[0], {"notes", "0002_more", "CREATE TABLE more (id bigint PRIMARY KEY)"}}};
  static const migrations::App v2_app{"notes", {}, v2};
  use_apps({&app(), &v2_app});
  auto p2 = provisioner();
  EXPECT_EQ(run(p2.refill_spares(1)), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenantry_spare_%'"), "1");
  auto beta = create("beta");
  EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_migrations", "beta"), "2");
  // With no spare left, create takes the full path.
  auto gamma = create("gamma");
  EXPECT_EQ(gamma.state, TenantState::kActive);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_migrations", "gamma"), "2");
  EXPECT_THROW(db::SchemaName("tenantry_spare_x"), ValidationError);
}

TEST_F(TenancyTest, CloneCopiesRowsAndItsSequencesContinue) {
  create("alpha");
  scalar("INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 5) g RETURNING 1", "alpha");
  auto p = provisioner();
  auto copy = run(p.clone(db::SchemaName("alpha"), db::SchemaName("alpha_copy")));
  EXPECT_EQ(copy.state, TenantState::kActive);
  EXPECT_EQ(scalar("SELECT string_agg(body, ',' ORDER BY id) FROM notes", "alpha_copy"),
            "note 1,note 2,note 3,note 4,note 5");
  EXPECT_EQ(scalar("INSERT INTO notes (body) VALUES ('new') RETURNING id", "alpha_copy"), "6");
  // The source is untouched.
  EXPECT_EQ(scalar("SELECT count(*) FROM notes", "alpha"), "5");
  EXPECT_THROW(run(p.clone(db::SchemaName("alpha"), db::SchemaName("alpha_copy"))), TenantConflict);
}

TEST_F(TenancyTest, RenameMovesSchemaAndRefusesAnExistingTarget) {
  create("alpha");
  create("beta");
  scalar("INSERT INTO notes (body) VALUES ('kept') RETURNING id", "alpha");
  auto p = provisioner();
  EXPECT_THROW(run(p.rename(db::SchemaName("alpha"), db::SchemaName("beta"))), TenantConflict);
  run(p.rename(db::SchemaName("alpha"), db::SchemaName("omega")));
  EXPECT_EQ(scalar("SELECT body FROM notes", "omega"), "kept");
  EXPECT_FALSE(run(catalog().find(db::SchemaName("alpha"))).has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'alpha'"), "0");
}

TEST_F(TenancyTest, DropRemovesSchemaRowAndDomains) {
  create("alpha");
  run(catalog().add_domain(db::SchemaName("alpha"), DomainName("a.example.com")));
  run(provisioner().drop(db::SchemaName("alpha")));
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'alpha'"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM domains"), "0");
  EXPECT_THROW(run(provisioner().drop(db::SchemaName("alpha"))), TenantNotFound);
}

}  // namespace
}  // namespace tenantry::tenancy

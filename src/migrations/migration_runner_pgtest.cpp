#include <gtest/gtest.h>

#include "catalog_test.hpp"
#include "tenantry/core/concurrency.hpp"
#include "tenantry/db/session.hpp"

namespace tenantry::migrations {
namespace {

using testing::CatalogTest;
using Kind = SchemaOutcome::Kind;

// Version 2 of the notes app: one more migration, which fails where a note is too long.
constexpr std::array<MigrationSource, 2> kNotesV2{
    {testing::kNotesV1[0],
     {"notes", "0002_short_bodies",
      "ALTER TABLE notes ADD CONSTRAINT short_body CHECK (length(body) < 20)"}}};
const App kNotesAppV2{"notes", {}, kNotesV2};

class MigrationRunnerTest : public CatalogTest {
 protected:
  void create_fleet(int n) {
    for (int i = 0; i < n; ++i) create("t" + std::to_string(i));
  }
};

TEST_F(MigrationRunnerTest, FleetRunContinuesPastAFailureAndARerunFinishesIt) {
  create_fleet(50);
  scalar("INSERT INTO notes (body) VALUES ('a note far too long for the new rule') RETURNING id", "t17");
  use_apps({&tenancy::app(), &kNotesAppV2});

  std::size_t progress_calls = 0;
  auto report = run(runner_->migrate_tenants(FleetOptions{
      .jobs = 4, .on_progress = [&](const SchemaOutcome&, std::size_t, std::size_t) { ++progress_calls; }}));
  EXPECT_EQ(report.outcomes.size(), 50u);
  EXPECT_EQ(progress_calls, 50u);
  EXPECT_EQ(report.count(Kind::kMigrated), 49u);
  ASSERT_EQ(report.count(Kind::kFailed), 1u);
  EXPECT_FALSE(report.ok());
  for (const auto& o : report.outcomes)
    if (o.kind == Kind::kFailed) {
      EXPECT_EQ(o.schema, "t17");
      EXPECT_NE(o.error.find("notes/0002_short_bodies"), std::string::npos) << o.error;
    }
  // The failed schema is left as it was: its migration rolled back whole.
  EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_migrations", "t17"), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_migrations", "t18"), "2");

  scalar("DELETE FROM notes RETURNING 1", "t17");
  auto rerun = run(runner_->migrate_tenants(FleetOptions{.jobs = 4}));
  ASSERT_EQ(rerun.outcomes.size(), 1u);  // the 49 others are known current from the catalog
  EXPECT_EQ(rerun.outcomes[0].schema, "t17");
  EXPECT_EQ(rerun.outcomes[0].kind, Kind::kMigrated);
  EXPECT_TRUE(run(runner_->migrate_tenants(FleetOptions{.jobs = 4})).outcomes.empty());
}

TEST_F(MigrationRunnerTest, FailFastStopsTakingNewTenants) {
  create_fleet(12);
  for (int i = 0; i < 12; ++i)
    scalar("INSERT INTO notes (body) VALUES ('a note far too long for the new rule') RETURNING id",
           "t" + std::to_string(i));
  use_apps({&tenancy::app(), &kNotesAppV2});
  auto report = run(runner_->migrate_tenants(FleetOptions{.jobs = 2, .fail_fast = true}));
  EXPECT_LE(report.outcomes.size(), 2u);
  EXPECT_FALSE(report.ok());
}

TEST_F(MigrationRunnerTest, ChangedChecksumIsReported) {
  create("alpha");
  static constexpr std::array<MigrationSource, 1> edited{
      {{"notes", "0001_notes", "CREATE TABLE notes (id bigint PRIMARY KEY, body text, extra int)"}}};
  static const App edited_app{"notes", {}, edited};
  use_apps({&tenancy::app(), &edited_app});
  auto outcome = run(runner_->migrate_tenant(db::SchemaName("alpha")));
  EXPECT_EQ(outcome.kind, Kind::kFailed);
  EXPECT_NE(outcome.error.find("notes/0001_notes was changed after it was applied"), std::string::npos)
      << outcome.error;
  auto status = run(runner_->status(db::SchemaName("alpha")));
  ASSERT_EQ(status.size(), 1u);
  ASSERT_EQ(status[0].problems.size(), 1u);
  EXPECT_NE(status[0].problems[0].find("changed"), std::string::npos);
  // The fleet run reports it too, with a failure.
  EXPECT_FALSE(run(runner_->migrate_tenants(FleetOptions{})).ok());
}

TEST_F(MigrationRunnerTest, StatusListsAppliedAndPending) {
  create("alpha");
  use_apps({&tenancy::app(), &kNotesAppV2});
  auto status = run(runner_->status(std::nullopt));
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].schema, "public");
  EXPECT_TRUE(status[0].pending.empty());
  EXPECT_EQ(status[1].schema, "alpha");
  EXPECT_EQ(status[1].applied.size(), 1u);
  ASSERT_EQ(status[1].pending.size(), 1u);
  EXPECT_EQ(status[1].pending[0], "notes/0002_short_bodies");
}

TEST_F(MigrationRunnerTest, ConcurrentRunsLeaveEverySchemaCorrect) {
  create_fleet(20);
  use_apps({&tenancy::app(), &kNotesAppV2});
  auto second_pool =
      std::make_unique<db::Pool>(io_, db::PoolConfig{.connect = database_.options(), .max_size = 4});
  MigrationRunner second(*second_pool, apps_);
  std::vector<FleetReport> reports(2);
  run(run_concurrently(2, [&](std::size_t i) -> Task<void> {
    MigrationRunner& runner = i == 0 ? *runner_ : second;
    const FleetOptions options{.jobs = 3};
    reports[i] = co_await runner.migrate_tenants(options);
  }));
  EXPECT_TRUE(reports[0].ok());
  EXPECT_TRUE(reports[1].ok());
  for (int i = 0; i < 20; ++i) {
    const std::string schema = "t" + std::to_string(i);
    EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_migrations", schema), "2") << schema;
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'short_body' AND connamespace = '" +
                     schema + "'::regnamespace"),
              "1")
        << schema;
  }
  second_pool->close();
}

TEST_F(MigrationRunnerTest, SharedMigrationsAreRecordedOnce) {
  auto again = run(runner_->migrate_shared());
  EXPECT_EQ(again.kind, Kind::kCurrent);
  EXPECT_EQ(scalar("SELECT count(*) FROM tenantry_shared_migrations"),
            std::to_string(runner_->shared_plan().migrations().size()));
}

}  // namespace
}  // namespace tenantry::migrations

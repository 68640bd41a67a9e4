#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "db/detail/connection.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"
#include "test_database.hpp"

namespace tenantry::db {
namespace {

using testing::PgTest;

class DbTest : public PgTest {};

TEST_F(DbTest, TypedParametersAndResults) {
  run([&]() -> Task<void> {
    Session s = public_session();
    auto r = co_await s.query("SELECT $1::bigint + 1, $2::text, $3::bool, $4::float8, $5::int, now()",
                              std::int64_t{41}, std::string("héllo"), true, 0.25, std::optional<int>{});
    Row row = r.one();
    EXPECT_EQ(row.get<std::int64_t>(0), 42);
    EXPECT_EQ(row.get<std::string>(1), "héllo");
    EXPECT_TRUE(row.get<bool>(2));
    EXPECT_DOUBLE_EQ(row.get<double>(3), 0.25);
    EXPECT_FALSE(row.get<std::optional<int>>(4).has_value());
    EXPECT_THROW(row.get<int>(4), DecodeError);
    const auto now = std::chrono::system_clock::now();
    EXPECT_LT(std::chrono::abs(row.get<Timestamp>(5) - now), std::chrono::seconds(60));
    auto t = time_point_cast<std::chrono::microseconds>(now);
    auto echoed = co_await s.query("SELECT $1::timestamptz", t);
    EXPECT_EQ(echoed.one().get<Timestamp>(0), t);
  }());
}

TEST_F(DbTest, SqlstateMapsToTypedExceptions) {
  run([&]() -> Task<void> {
    Session s = public_session();
    co_await s.execute_script(
        "CREATE TABLE t (id bigint PRIMARY KEY, ref bigint REFERENCES t (id), n int CHECK (n > 0))");
    co_await s.query("INSERT INTO t (id, n) VALUES (1, 1)");
    EXPECT_THROW(co_await s.query("INSERT INTO t (id, n) VALUES (1, 1)"), UniqueViolation);
    EXPECT_THROW(co_await s.query("INSERT INTO t (id, ref, n) VALUES (2, 99, 1)"), ForeignKeyViolation);
    EXPECT_THROW(co_await s.query("INSERT INTO t (id, n) VALUES (3, 0)"), CheckViolation);
    EXPECT_THROW(co_await s.query("SELECT * FROM missing"), UndefinedTable);
    EXPECT_THROW(co_await s.query("SELEC 1"), SyntaxError);
    try {
      co_await s.query("INSERT INTO t (id, n) VALUES (1, 1)");
      ADD_FAILURE();
    } catch (const IntegrityConstraintViolation& e) {
      EXPECT_EQ(e.sqlstate(), "23505");
      EXPECT_EQ(e.constraint(), "t_pkey");
    }
    // The connection still works after errors.
    EXPECT_EQ((co_await s.query("SELECT count(*) FROM t")).one().get<int>(0), 1);
  }());
}

TEST_F(DbTest, TransactionCommitsAndRollsBackOnDestruction) {
  run([&]() -> Task<void> {
    Session s = public_session();
    co_await s.execute_script("CREATE TABLE items (id bigint PRIMARY KEY)");
    {
      Transaction tx = co_await s.begin();
      co_await tx.query("INSERT INTO items VALUES (1)");
      co_await tx.commit();
    }
    {
      Transaction tx = co_await s.begin();
      co_await tx.query("INSERT INTO items VALUES (2)");
      // destroyed without commit
    }
    {
      Transaction tx = co_await s.begin();
      co_await tx.query("INSERT INTO items VALUES (3)");
      co_await tx.rollback();
    }
    {
      Transaction tx = co_await s.begin();
      EXPECT_THROW(co_await tx.query("INSERT INTO items VALUES (1)"), UniqueViolation);
      EXPECT_THROW(co_await tx.commit(), InvalidTransactionState);
    }
    auto r = co_await s.query("SELECT array_agg(id ORDER BY id)::text FROM items");
    EXPECT_EQ(r.one().get<std::string>(0), "{1}");
  }());
}

// Its locks are released at once, not whenever the connection happens to be used next.
TEST_F(DbTest, AnAbandonedTransactionReleasesItsLocksPromptly) {
  auto other_pool = std::make_unique<Pool>(io_, PoolConfig{.connect = database_.options(), .max_size = 1});
  run([&]() -> Task<void> {
    Session s = public_session();
    co_await s.execute_script("CREATE TABLE locked (id bigint PRIMARY KEY); INSERT INTO locked VALUES (1)");
    {
      Transaction tx = co_await s.begin();
      co_await tx.query("SELECT id FROM locked WHERE id = 1 FOR UPDATE");
    }  // destroyed without commit or rollback
    boost::asio::steady_timer settle(io_, std::chrono::milliseconds(100));
    co_await settle.async_wait(boost::asio::use_awaitable);
    Transaction other = co_await other_pool->session().begin();
    auto r = co_await other.query("SELECT id FROM locked WHERE id = 1 FOR UPDATE NOWAIT");
    EXPECT_EQ(r.size(), 1);
    co_await other.commit();
  }());
  other_pool->close();
}

// The tenant switch travels with the statement: each query is exactly one round trip, and rows never cross.
TEST_F(DbTest, AlternatingSchemasOnOneConnectionNeverMixAndCostNoExtraRoundTrip) {
  auto small = std::make_unique<Pool>(io_, PoolConfig{.connect = database_.options(), .max_size = 1});
  run([&]() -> Task<void> {
    Session admin(*small);
    for (const char* schema : {"tenant_a", "tenant_b"}) {
      co_await admin.execute_script(std::string("CREATE SCHEMA ") + schema + "; CREATE TABLE " + schema +
                                    ".notes (id bigint PRIMARY KEY, owner text NOT NULL)");
      co_await admin.execute_script(std::string("INSERT INTO ") + schema + ".notes SELECT g, '" + schema +
                                    "' FROM generate_series(1, 10) g");
    }
    Session a(*small, SchemaName("tenant_a")), b(*small, SchemaName("tenant_b"));
    const auto before = small->stats();
    for (int i = 0; i < 1000; ++i) {
      const Session& s = (i % 2 == 0) ? a : b;
      auto r = co_await s.query("SELECT owner FROM notes WHERE id = $1", i % 10 + 1);
      EXPECT_EQ(r.one().get<std::string>(0), s.schema().str()) << "query " << i;
    }
    const auto after = small->stats();
    EXPECT_EQ(after.round_trips - before.round_trips, 1000u);
    EXPECT_EQ(after.search_path_switches - before.search_path_switches, 1000u);
    // One prepared statement per schema: PostgreSQL re-plans a statement whose search_path changed, so the
    // connection keeps one for each tenant instead of one re-planned on every switch.
    EXPECT_EQ(after.prepares - before.prepares, 2u);
    auto prepared = co_await a.query("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE $1",
                                     std::string("SELECT owner FROM notes%"));
    EXPECT_EQ(prepared.one().get<int>(0), 2);
    EXPECT_EQ(after.size, 1u);
    // Staying on one schema sends no switch at all.
    for (int i = 0; i < 10; ++i) co_await a.query("SELECT count(*) FROM notes");
    EXPECT_EQ(small->stats().search_path_switches, after.search_path_switches + 1);
  }());
  small->close();
}

TEST_F(DbTest, ABatchIsOneRoundTripWithItsSwitch) {
  run([&]() -> Task<void> {
    co_await public_session().execute_script(
        "CREATE SCHEMA shop; CREATE TABLE shop.items (id bigint PRIMARY KEY); "
        "INSERT INTO shop.items SELECT generate_series(1, 30)");
    Session shop(*pool_, SchemaName("shop"));
    const auto before = pool_->stats();
    std::vector<Statement> batch;
    batch.push_back({"SELECT count(*) FROM items WHERE id > $1", ParamList(std::int64_t{10})});
    batch.push_back(
        {"SELECT id FROM items WHERE id > $1 ORDER BY id LIMIT $2", ParamList(std::int64_t{10}, 5)});
    auto results = co_await shop.execute_batch(std::move(batch));
    EXPECT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].one().get<int>(0), 20);
    EXPECT_EQ(results[1].size(), 5);
    EXPECT_EQ(results[1][0].get<int>(0), 11);
    EXPECT_EQ(pool_->stats().round_trips - before.round_trips, 1u);
    std::vector<Statement> failing;
    failing.push_back({"SELECT 1", ParamList()});
    failing.push_back({"SELECT * FROM missing_table", ParamList()});
    EXPECT_THROW(co_await shop.execute_batch(std::move(failing)), UndefinedTable);
    EXPECT_EQ((co_await shop.query("SELECT count(*) FROM items")).one().get<int>(0), 30);
  }());
}

TEST_F(DbTest, ChangedTableShapeIsRepreparedOnce) {
  run([&]() -> Task<void> {
    Session s = public_session();
    co_await s.execute_script("CREATE TABLE shapes (id bigint PRIMARY KEY); INSERT INTO shapes VALUES (1)");
    auto r1 = co_await s.query("SELECT * FROM shapes");
    EXPECT_EQ(r1.columns(), 1);
    co_await s.execute_script("ALTER TABLE shapes ADD COLUMN label text DEFAULT 'x'");
    auto r2 = co_await s.query("SELECT * FROM shapes");
    EXPECT_EQ(r2.columns(), 2);
    EXPECT_EQ(r2.one().get<std::string>("label"), "x");
  }());
}

TEST_F(DbTest, PoolTimesOutWhenExhaustedAndRecoversBrokenConnections) {
  auto small = std::make_unique<Pool>(io_, PoolConfig{.connect = database_.options(),
                                                      .max_size = 1,
                                                      .acquire_timeout = std::chrono::milliseconds(100)});
  run([&]() -> Task<void> {
    Lease held = co_await small->acquire();
    EXPECT_THROW(co_await small->acquire(), PoolTimeout);
  }());
  run([&]() -> Task<void> {
    Session s(*small);
    auto pid = (co_await s.query("SELECT pg_backend_pid()")).one().get<int>(0);
    Session other(*pool_);
    co_await other.query("SELECT pg_terminate_backend($1)", pid);
    // The backend leaves pg_stat_activity a moment before its socket closes: wait for both.
    for (int i = 0; i < 50; ++i) {
      auto r = co_await other.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid);
      if (r.one().get<int>(0) == 0) break;
    }
    boost::asio::steady_timer settle(io_, std::chrono::milliseconds(200));
    co_await settle.async_wait(boost::asio::use_awaitable);
    auto pid2 = (co_await s.query("SELECT pg_backend_pid()")).one().get<int>(0);
    EXPECT_NE(pid, pid2);
    EXPECT_GE(small->stats().discarded, 1u);
  }());
  small->close();
}

TEST_F(DbTest, ConcurrentCoroutinesShareThePool) {
  int done = 0;
  for (int i = 0; i < 40; ++i) {
    boost::asio::co_spawn(
        io_,
        [&, i]() -> Task<void> {
          Session s = public_session();
          auto r = co_await s.query("SELECT $1::int * 2 FROM pg_sleep(0.01)", i);
          EXPECT_EQ(r.one().get<int>(0), i * 2);
          ++done;
        },
        boost::asio::detached);
  }
  io_.run();
  EXPECT_EQ(done, 40);
  EXPECT_LE(pool_->stats().size, 8u);
}

TEST_F(DbTest, ConnectErrorIsReported) {
  auto bad =
      std::make_unique<Pool>(io_, PoolConfig{.connect = {.conninfo = "host=/nonexistent dbname=x",
                                                         .connect_timeout = std::chrono::milliseconds(500)}});
  EXPECT_THROW(run([&]() -> Task<void> { co_await bad->session().query("SELECT 1"); }()), ConnectionError);
}

}  // namespace
}  // namespace tenantry::db

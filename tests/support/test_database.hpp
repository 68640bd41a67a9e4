#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "tenantry/core/run_blocking.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/db/session.hpp"

struct pg_conn;

namespace tenantry::testing {

/// Connection string of the test server: TENANTRY_TEST_DATABASE_URL, else the run's throwaway cluster (as
/// its superuser).
std::string test_server_conninfo();
/// The throwaway cluster's owner and runtime roles (tenantry_owner, tenantry_app); with
/// TENANTRY_TEST_DATABASE_URL, its one role for both.
std::string test_owner_conninfo();
std::string test_runtime_conninfo();

/// A database of its own for one test, created on construction and dropped on destruction.
/// With a template name, the database starts as a copy of that template (fast: no migrations replayed).
class TestDatabase {
 public:
  explicit TestDatabase(const std::string& template_name = "template0");
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  const std::string& name() const noexcept { return name_; }
  db::ConnectOptions options() const;
  /// A libpq connection string for this database (for child processes such as the CLI), as the superuser.
  std::string conninfo() const;
  /// The same as the owner of the database and as the runtime role, for a server run as in production.
  std::string owner_conninfo() const;
  std::string runtime_conninfo() const;

 private:
  std::string name_;
};

/// Runs SQL on the test server's maintenance database, synchronously (test set-up only).
void admin_exec(const std::string& sql);

/// One blocking connection to the test server's maintenance database (or `dbname`, e.g. a test's own), for
/// set-up that needs a session: locks held while the code under test runs.
class AdminSession {
 public:
  explicit AdminSession(const std::string& dbname = "postgres");
  ~AdminSession();
  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;
  /// Runs SQL; returns the first column of the first row, or "" when there is none.
  std::string exec(const std::string& sql);

 private:
  ::pg_conn* conn_;
};

/// A test with its own database, an io_context and a pool on it.
class PgTest : public ::testing::Test {
 protected:
  explicit PgTest(const std::string& template_name = "template0", std::size_t pool_size = 8);
  ~PgTest() override;

  template <typename T>
  T run(Task<T> task) {
    return run_blocking(io_, std::move(task));
  }
  void run(Task<void> task) { run_blocking(io_, std::move(task)); }
  db::Session public_session() { return db::Session(*pool_); }

  boost::asio::io_context io_;
  TestDatabase database_;
  std::unique_ptr<db::Pool> pool_;
};

}  // namespace tenantry::testing

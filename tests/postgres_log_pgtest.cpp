// The PostgreSQL server log receives no secrets: the embedded cluster (and the test cluster, which is one)
// logs errors without their DETAIL (a failing row holds a password hash) and without the failed statement.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "apps/registry.hpp"
#include "tenantry/db/embedded_cluster.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "test_database.hpp"

namespace tenantry {
namespace {

namespace fs = std::filesystem;
using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Conn connect(const std::string& conninfo) {
  Conn conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("cannot connect: " + std::string(PQerrorMessage(conn.get())));
  return conn;
}

std::string show(const std::string& conninfo, const std::string& setting) {
  Conn conn = connect(conninfo);
  Result r(PQexec(conn.get(), ("SHOW " + setting).c_str()), &PQclear);
  return PQresultStatus(r.get()) == PGRES_TUPLES_OK ? PQgetvalue(r.get(), 0, 0) : "";
}

/// The log from `offset` on: earlier runs of the test cluster wrote the rest.
std::string read_file(const fs::path& path, std::uintmax_t offset = 0) {
  std::ifstream in(path);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string marker(const std::string& what) {
  std::random_device random;
  return "$argon2id$v=19$m=65536,t=3,p=4$" + what + std::to_string(random()) + "$FAKEHASH";
}

class PostgresLogTest : public testing::PgTest {};

TEST_F(PostgresLogTest, AFailedInsertIntoUsersLeavesNoHashInTheServerLog) {
  const char* url = std::getenv("TENANTRY_TEST_DATABASE_URL");
  const char* dir = std::getenv("TENANTRY_TEST_CLUSTER_DIR");
  if ((url && *url) || !dir) GTEST_SKIP() << "the server log is only known for the run's own test cluster";
  const fs::path log = fs::path(dir) / "postgres.log";

  migrations::MigrationRunner runner(*pool_, apps::installed());
  ASSERT_NE(run(runner.migrate_shared()).kind, migrations::SchemaOutcome::Kind::kFailed);
  const std::uintmax_t logged_before = fs::file_size(log);
  Conn conn = connect(database_.conninfo());
  const std::string pid = std::to_string(PQbackendPID(conn.get()));

  // Both ways a hash reaches the server: as a bind parameter, and written into the statement.
  const std::string bound = marker("bound"), inline_hash = marker("inline");
  const char* values[] = {"Not-Lower@Example.test", bound.c_str()};
  Result first(PQexecParams(conn.get(), "INSERT INTO public.users (email, password_hash) VALUES ($1, $2)", 2,
                            nullptr, values, nullptr, nullptr, 0),
               &PQclear);
  ASSERT_STREQ(PQresultErrorField(first.get(), PG_DIAG_SQLSTATE), "23514");  // the email CHECK
  const std::string statement =
      "INSERT INTO public.users (email, password_hash) VALUES ('Not-Lower@Example.test', '" + inline_hash +
      "')";
  Result second(PQexec(conn.get(), statement.c_str()), &PQclear);
  ASSERT_STREQ(PQresultErrorField(second.get(), PG_DIAG_SQLSTATE), "23514");

  // The errors themselves are logged (proof that this is the right log), only not their details.
  const std::string error_line =
      "[" + pid + "] ERROR:  new row for relation \"users\" violates check constraint";
  std::string text = read_file(log, logged_before);
  for (int i = 0; i < 100 && text.find(error_line) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    text = read_file(log, logged_before);
  }
  ASSERT_NE(text.find(error_line), std::string::npos) << "no error of backend " << pid << " in " << log;
  EXPECT_EQ(text.find(bound), std::string::npos) << text.substr(text.find(error_line));
  EXPECT_EQ(text.find(inline_hash), std::string::npos) << text.substr(text.find(error_line));
  EXPECT_EQ(text.find("Failing row contains"), std::string::npos);
}

// A cluster made by an older version (or changed by hand) is given the settings when it is reused.
TEST_F(PostgresLogTest, AReusedClusterIsGivenTheLogSettings) {
  std::string tmpl = ::testing::TempDir() + "tenantry-cluster-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);  // as root
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      try {
        db::EmbeddedCluster({.dir = dir, .ephemeral = true, .database = "postgres"}).stop_unconditionally();
      } catch (...) {
      }
      fs::remove_all(dir);
    }
  } cleanup{dir};

  db::EmbeddedCluster first({.dir = dir, .ephemeral = true, .database = "postgres"});
  first.start();
  const std::string conninfo = first.conninfo();
  EXPECT_EQ(show(conninfo, "log_error_verbosity"), "terse");
  EXPECT_EQ(show(conninfo, "log_min_error_statement"), "panic");
  {
    Conn conn = connect(conninfo);
    for (const char* sql : {"ALTER SYSTEM SET log_error_verbosity = 'verbose'",
                            "ALTER SYSTEM SET log_min_error_statement = 'error'",
                            "ALTER SYSTEM SET log_statement = 'all'", "SELECT pg_reload_conf()"})
      Result(PQexec(conn.get(), sql), &PQclear);
  }
  auto wait_for = [&](const std::string& setting, const std::string& value) {
    for (int i = 0; i < 250 && show(conninfo, setting) != value; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return show(conninfo, setting);
  };
  ASSERT_EQ(wait_for("log_statement", "all"), "all");

  db::EmbeddedCluster second({.dir = dir, .ephemeral = true, .database = "postgres"});
  second.start();  // finds the server running and reuses it
  EXPECT_FALSE(second.started_here());
  EXPECT_EQ(wait_for("log_statement", "none"), "none");
  EXPECT_EQ(wait_for("log_error_verbosity", "terse"), "terse");
  EXPECT_EQ(wait_for("log_min_error_statement", "panic"), "panic");
}

}  // namespace
}  // namespace tenantry

#include "test_database.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#include "tenantry/db/embedded_cluster.hpp"

namespace tenantry::testing {

namespace {

/// `file` of the test cluster's directory (conninfo, owner_conninfo, runtime_conninfo), or the URL given.
std::string cluster_conninfo(const std::string& file) {
  if (const char* url = std::getenv("TENANTRY_TEST_DATABASE_URL"); url && *url) return url;
  const char* dir = std::getenv("TENANTRY_TEST_CLUSTER_DIR");
  if (!dir) throw std::runtime_error("set TENANTRY_TEST_DATABASE_URL or run the tests through ctest");
  std::ifstream in(std::string(dir) + "/" + file);
  std::string conninfo;
  std::getline(in, conninfo);
  if (conninfo.empty()) throw std::runtime_error(std::string("no test cluster running in ") + dir);
  return conninfo;
}

bool roles_split() {
  const char* url = std::getenv("TENANTRY_TEST_DATABASE_URL");
  return !(url && *url);
}

}  // namespace

std::string test_server_conninfo() {
  return cluster_conninfo("conninfo");
}
std::string test_owner_conninfo() {
  return cluster_conninfo("owner_conninfo");
}
std::string test_runtime_conninfo() {
  return cluster_conninfo("runtime_conninfo");
}

AdminSession::AdminSession(const std::string& dbname) {
  const char* keys[] = {"dbname", "dbname", nullptr};
  const std::string conninfo = test_server_conninfo();
  const char* values[] = {conninfo.c_str(), dbname.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn_);
    PQfinish(conn_);
    throw std::runtime_error("test server: " + error);
  }
}

AdminSession::~AdminSession() {
  PQfinish(conn_);
}

std::string AdminSession::exec(const std::string& sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn_));
  return status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
}

void admin_exec(const std::string& sql) {
  AdminSession().exec(sql);
}

namespace {
std::string unique_name() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(rd() % 100000);
}
}  // namespace

TestDatabase::TestDatabase(const std::string& template_name) : name_(unique_name()) {
  // CREATE DATABASE ... TEMPLATE fails while another session is connected to the template: retry briefly.
  for (int attempt = 0;; ++attempt) {
    try {
      // Owned by the owner role, as the embedded cluster's database is (public goes with it).
      admin_exec("CREATE DATABASE \"" + name_ + "\" TEMPLATE \"" + template_name + "\"" +
                 (roles_split() ? " OWNER tenantry_owner" : ""));
      return;
    } catch (const std::exception&) {
      if (attempt == 50) throw;
      ::usleep(100000);
    }
  }
}

TestDatabase::~TestDatabase() {
  try {
    admin_exec("DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)");
    // Tenant roles are the cluster's: those of this database go with it (tenantry/db/tenant_roles.hpp).
    AdminSession admin;
    admin.exec(
        "DO $$DECLARE r text; BEGIN FOR r IN SELECT rolname FROM pg_roles WHERE split_part(rolname, '@', 2) "
        "= '" +
        name_ + "' LOOP EXECUTE format('DROP ROLE %I', r); END LOOP; END$$");
  } catch (...) {
  }
}

db::ConnectOptions TestDatabase::options() const {
  db::ConnectOptions o;
  o.conninfo = test_server_conninfo();
  o.dbname = name_;
  o.application_name = "tenantry-test";
  return o;
}

std::string TestDatabase::conninfo() const {
  return test_server_conninfo() + " dbname=" + db::conninfo_value(name_);
}
std::string TestDatabase::owner_conninfo() const {
  return test_owner_conninfo() + " dbname=" + db::conninfo_value(name_);
}
std::string TestDatabase::runtime_conninfo() const {
  return test_runtime_conninfo() + " dbname=" + db::conninfo_value(name_);
}

PgTest::PgTest(const std::string& template_name, std::size_t pool_size) : database_(template_name) {
  db::PoolConfig config;
  config.connect = database_.options();
  config.max_size = pool_size;
  pool_ = std::make_unique<db::Pool>(io_, config);
}

PgTest::~PgTest() {
  pool_->close();
  pool_.reset();
}

}  // namespace tenantry::testing

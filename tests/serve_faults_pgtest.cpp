// `tenantry serve` under operational faults, through the real binary: a PostgreSQL restart under load
// (503 database-unavailable, one outage line and one recovery line, no acknowledged write lost) and SIGHUP
// (the configuration reloaded while serving; a bad file leaves the running one in place).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "serve_process.hpp"
#include "tenantry/db/embedded_cluster.hpp"
#include "test_database.hpp"

namespace tenantry {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::HttpResponse;
using testing::send_on_own_connection;
using testing::ServeProcess;

/// `tenantry [--config FILE] serve --migrate --demo` on `conninfo` with `env` set, as a child process.
ServeProcess::Options serve_options(const std::string& conninfo, testing::Environment env,
                                    const std::string& config_file = {}) {
  std::vector<std::string> args;
  if (!config_file.empty()) args = {"--config", config_file};
  args.insert(args.end(), {"serve", "--migrate", "--demo"});
  return {.binary = TENANTRY_BINARY, .conninfo = conninfo, .args = std::move(args), .env = std::move(env)};
}

/// How many lines of `text` hold `needle`.
int lines_with(const std::string& text, const std::string& needle) {
  int count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

std::string problem_type(const HttpResponse& r) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(r.body, ec);
  if (ec || !value.is_object() || !value.as_object().contains("type")) return "";
  return std::string(value.as_object().at("type").as_string());
}

std::string login(std::uint16_t port, const std::string& store, const std::string& email,
                  const std::string& password) {
  const boost::json::object body{{"email", email}, {"password", password}};
  const auto r = send_on_own_connection(port, "POST", "/api/auth/login",
                                        {"Host: " + store + ".localhost", "Content-Type: application/json"},
                                        boost::json::serialize(body));
  if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
  return std::string(boost::json::parse(r.body).at("token").as_string());
}

/// Marks every inherited descriptor above standard error close-on-exec, so that the PostgreSQL cluster this
/// test starts holds none of them (ServeProcess closes them in the server on its own): a lock file held by
/// whoever ran the tests would otherwise stay locked for as long as such a process outlives a test killed by
/// its timeout.
void keep_descriptors_to_ourselves() {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    if (fd > 2) ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
  }
}

/// A directory of the test's own, readable by the `postgres` system user (the cluster runs as it under root).
std::filesystem::path private_dir(const char* prefix) {
  keep_descriptors_to_ourselves();
  std::string pattern = std::string("/tmp/") + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
  ::chmod(pattern.c_str(), 0755);
  return pattern;
}

// ---------------------------------------------------------------------------------------------------------
// A PostgreSQL restart under load. Tests share one cluster for the run, so this one starts its own.

/// What a loader saw: every answer, and the products it was told were created (201).
struct LoadRecord {
  std::vector<std::pair<Clock::time_point, HttpResponse>> answers;
  std::vector<std::string> created;
  int no_reply = 0;
};

class DatabaseOutageTest : public ::testing::Test {
 protected:
  DatabaseOutageTest()
      : dir_(private_dir("tenantry-outage")),
        cluster_({.dir = dir_ / "var", .ephemeral = true, .database = "tenantry"}) {
    cluster_.start();
    // Plans without limits: the loaders create more products than the free plan allows.
    std::ofstream(dir_ / "tenantry.toml") << "[plans.free]\n[plans.pro]\n[plans.enterprise]\n";
  }
  ~DatabaseOutageTest() override {
    try {
      cluster_.stop_unconditionally();
    } catch (const std::exception&) {
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  /// The skus of acme's products, read from the cluster directly.
  std::set<std::string> stored_skus() {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(cluster_.conninfo().c_str()), &PQfinish);
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), "SELECT sku FROM acme.products"),
                                                    &PQclear);
    EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
    std::set<std::string> skus;
    for (int i = 0; i < PQntuples(r.get()); ++i) skus.insert(PQgetvalue(r.get(), i, 0));
    return skus;
  }

  std::filesystem::path dir_;
  db::EmbeddedCluster cluster_;
};

TEST_F(DatabaseOutageTest, DbRestartUnderLoadAnswers503AndRecovers) {
  ServeProcess serve(serve_options(
      cluster_.conninfo(), {{"TENANTRY_SERVER_THREADS", "2"}, {"TENANTRY_TENANCY_SPARE_SCHEMAS", "0"}},
      (dir_ / "tenantry.toml").string()));
  ASSERT_NE(serve.port(), 0) << serve.log();
  const std::string token = login(serve.port(), "acme", "owner@acme.demo", "tenantry-demo");
  const std::vector<std::string> headers{"Host: acme.localhost", "Authorization: Bearer " + token,
                                         "Content-Type: application/json"};

  std::atomic<bool> stop{false};
  std::vector<LoadRecord> records(3);
  std::vector<std::thread> loaders;
  for (std::size_t l = 0; l < records.size(); ++l)
    loaders.emplace_back([&, l] {
      for (int i = 0; !stop; ++i) {
        const std::string sku = "L" + std::to_string(l) + "-" + std::to_string(i);
        const boost::json::object product{{"sku", sku}, {"name", "Load " + sku}, {"price_cents", 100}};
        try {
          auto r = i % 2 == 0 ? send_on_own_connection(serve.port(), "POST", "/api/products", headers,
                                                       boost::json::serialize(product))
                              : send_on_own_connection(serve.port(), "GET", "/api/products?limit=1", headers);
          if (r.status == 201) records[l].created.push_back(sku);
          records[l].answers.emplace_back(Clock::now(), std::move(r));
        } catch (const std::exception&) {
          ++records[l].no_reply;  // an empty reply or a refused connection
        }
        std::this_thread::sleep_for(10ms);
      }
    });

  std::this_thread::sleep_for(700ms);
  cluster_.stop_unconditionally();  // fast shutdown: sessions terminated (57P01), then no connections
  std::this_thread::sleep_for(1500ms);
  cluster_.start();
  const auto restarted = Clock::now();
  // Every loader gets a success again within a few seconds.
  auto recovered = [&] {
    for (const auto& record : records) {
      bool ok = false;
      for (const auto& [at, r] : record.answers) ok |= at > restarted && r.status < 300;
      if (!ok) return false;
    }
    return true;
  };
  while (!recovered() && Clock::now() - restarted < 8s) std::this_thread::sleep_for(50ms);
  const auto recovery = Clock::now() - restarted;
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (auto& t : loaders) t.join();
  EXPECT_LT(recovery, 5s);

  int unavailable = 0;
  std::vector<std::string> created;
  for (const auto& record : records) {
    EXPECT_EQ(record.no_reply, 0);
    for (const auto& [at, r] : record.answers) {
      if (r.status == 200 || r.status == 201) continue;
      EXPECT_EQ(r.status, 503) << r.body;
      EXPECT_EQ(problem_type(r).find("database-unavailable") != std::string::npos, true) << r.body;
      EXPECT_FALSE(r.header("retry-after").empty()) << r.body;
      ++unavailable;
    }
    created.insert(created.end(), record.created.begin(), record.created.end());
  }
  EXPECT_GT(unavailable, 0) << "the outage was not seen";
  EXPECT_GT(created.size(), 10u);
  const auto stored = stored_skus();
  for (const auto& sku : created) EXPECT_EQ(stored.count(sku), 1u) << "acknowledged write lost: " << sku;

  EXPECT_EQ(serve.stop(), 0) << serve.log();
  const std::string log = serve.log();
  EXPECT_EQ(lines_with(log, "database unavailable: "), 1) << log;
  EXPECT_EQ(lines_with(log, "database available again after"), 1) << log;
  EXPECT_EQ(lines_with(log, "/api/products failed"), 0) << log;  // how the server logs a 500
}

// ---------------------------------------------------------------------------------------------------------
// SIGHUP: reload the configuration file while serving.

class ConfigReloadTest : public ::testing::Test {
 protected:
  ConfigReloadTest() : dir_(private_dir("tenantry-reload")) {}
  ~ConfigReloadTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void write_config(const std::string& text) {
    const auto temporary = dir_ / "tenantry.toml.new";
    std::ofstream(temporary) << text;
    std::filesystem::rename(temporary, file());  // whole, as an editor or a deploy tool writes it
  }
  std::filesystem::path file() const { return dir_ / "tenantry.toml"; }
  /// GET /api/ on the public host with X-Tenant: acme; the header counts only from a trusted network.
  static bool header_resolves(std::uint16_t port) {
    const auto r = send_on_own_connection(port, "GET", "/api/", {"Host: localhost", "X-Tenant: acme"});
    return r.status == 200 && r.body.find("public schema") == std::string::npos;
  }
  static int failed_login(std::uint16_t port) {
    const std::string body = R"({"email": "owner@acme.demo", "password": "not-the-password"})";
    return send_on_own_connection(port, "POST", "/api/auth/login",
                                  {"Host: acme.localhost", "Content-Type: application/json"}, body)
        .status;
  }

  std::filesystem::path dir_;
  testing::TestDatabase database_;
};

constexpr const char* kBefore = R"([log]
level = "info"
[auth]
login_per_account_per_minute = 100
[tenancy]
header_resolver = true
header_trusted_networks = ["10.0.0.0/8"]
)";

// log.level, a throttle and the trusted networks change on SIGHUP, while the process keeps serving; a
// setting read only at start-up is named in one line; an invalid file is reported and changes nothing.
TEST_F(ConfigReloadTest, SighupReloadsTheConfigurationWhileServing) {
  write_config(kBefore);
  ServeProcess serve(serve_options(database_.conninfo(), {}, file().string()));
  ASSERT_NE(serve.port(), 0) << serve.log();
  EXPECT_FALSE(header_resolves(serve.port()));  // 127.0.0.1 is not trusted
  for (int i = 0; i < 3; ++i) EXPECT_EQ(failed_login(serve.port()), 401);
  EXPECT_EQ(
      send_on_own_connection(serve.port(), "GET", "/api/before-reload", {"Host: acme.localhost"}).status,
      404);
  ASSERT_FALSE(serve.wait_for("/api/before-reload", 5s).empty()) << "no access-log line at info";

  write_config(R"([log]
level = "warn"
[auth]
login_per_account_per_minute = 3
[tenancy]
header_resolver = true
header_trusted_networks = ["127.0.0.0/8"]
[server]
max_body_bytes = 2097152
)");
  serve.signal(SIGHUP);
  const auto start = Clock::now();
  while (!header_resolves(serve.port()) && Clock::now() - start < 5s) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(header_resolves(serve.port())) << serve.log();
  EXPECT_TRUE(serve.alive());
  // Three failed logins are counted this minute: the fourth is over the new limit (within five attempts,
  // in case a minute boundary restarted the count).
  bool throttled = false;
  for (int i = 0; i < 5 && !throttled; ++i) throttled = failed_login(serve.port()) == 429;
  EXPECT_TRUE(throttled);
  EXPECT_EQ(send_on_own_connection(serve.port(), "GET", "/api/after-reload", {"Host: acme.localhost"}).status,
            404);
  EXPECT_FALSE(serve.wait_for("server.max_body_bytes changed; restart to apply", 5s).empty()) << serve.log();

  const std::size_t before_bad = serve.log().size();
  write_config("[auth\nlogin_per_account_per_minute = ");
  serve.signal(SIGHUP);
  EXPECT_FALSE(serve.wait_for("configuration not reloaded", 5s, before_bad).empty()) << serve.log();
  EXPECT_TRUE(serve.alive());
  EXPECT_TRUE(header_resolves(serve.port()));  // still the configuration of the last good reload
  EXPECT_EQ(send_on_own_connection(serve.port(), "GET", "/api/", {"Host: acme.localhost"}).status, 200);

  EXPECT_EQ(serve.stop(), 0) << serve.log();
  const std::string log = serve.log();
  EXPECT_EQ(lines_with(log, "/api/after-reload"), 0) << "an info line after the level became warn:\n" << log;
  EXPECT_EQ(lines_with(log, "server.max_body_bytes changed; restart to apply"), 1) << log;
  EXPECT_EQ(lines_with(log, "login_per_account_per_minute changed"), 0) << log;  // applied, not pending
}

}  // namespace
}  // namespace tenantry

// One tenant must not hurt the others: a lock storm on one store's table takes at most its share of the I/O
// thread's pool (database.max_connections_per_tenant), the control plane (catalog reloads, /readyz) has
// connections of its own, and at PostgreSQL's connection limit requests fall back to the open connections.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "tenant_test_case.hpp"
#include "tenantry/db/embedded_cluster.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"

namespace tenantry {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::HttpResponse;
using testing::json;
using testing::send_on_own_connection;
using testing::shared_plan;
using testing::str;
using testing::tenant_plan;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

class BulkheadTest : public testing::TenantTestCase {
 protected:
  BulkheadTest() {
    config.server.threads = 1;  // every store on the one I/O thread, and its one pool
    config.tenancy.spare_schemas = 0;
  }
  /// Holds an ACCESS EXCLUSIVE lock on a store's products table in an open transaction of the test.
  static void lock_products(testing::AdminSession& holder, const std::string& store) {
    holder.exec("BEGIN");
    holder.exec("LOCK TABLE " + store + ".products IN ACCESS EXCLUSIVE MODE");
  }
  /// `count` concurrent GET /api/products on the store as its viewer, each on its own connection.
  std::vector<std::future<std::pair<HttpResponse, std::chrono::milliseconds>>> storm(int count) {
    const std::vector<std::string> headers{"Host: " + host(kStore),
                                           "Authorization: Bearer " + token("viewer")};
    const std::uint16_t server = port();
    std::vector<std::future<std::pair<HttpResponse, std::chrono::milliseconds>>> calls;
    for (int i = 0; i < count; ++i)
      calls.push_back(std::async(std::launch::async, [server, headers] {
        const auto start = Clock::now();
        auto response = send_on_own_connection(server, "GET", "/api/products", headers);
        return std::make_pair(std::move(response), since(start));
      }));
    return calls;
  }
  HttpResponse other_store_products() {
    return send_on_own_connection(
        port(), "GET", "/api/products",
        {"Host: " + host(kOtherStore), "Authorization: Bearer " + token("owner", kOtherStore)});
  }
};

// 24 requests blocked on one store's table lock: the store gets at most half of the pool (the default cap),
// the other store keeps getting connections at once, and the blocked ones end with 503 database-timeout
// after the lock timeout, queued behind each other rather than in front of the other store.
TEST_F(BulkheadTest, ALockStormOnOneTenantLeavesTheOthersTheirConnections) {
  config.database.pool_size = 12;  // cap: 6
  config.database.lock_timeout_ms = 1000;
  config.database.acquire_timeout_ms = 8000;
  token("viewer");
  token("owner", kOtherStore);  // logged in before the lock
  testing::AdminSession holder(database().name());
  lock_products(holder, kStore);

  const auto storm_start = Clock::now();
  auto calls = storm(24);
  std::this_thread::sleep_for(200ms);  // the storm holds its connections
  int samples = 0;
  // Without the cap the other store waits for the storm's lock timeouts (1 s each round) to free a
  // connection; with it, a connection is free at once.
  while (since(storm_start) < 3s) {
    const auto start = Clock::now();
    const auto other = other_store_products();
    const auto waited = since(start);
    EXPECT_EQ(other.status, 200) << other.body;
    EXPECT_LT(waited, 400ms) << "the other store waited behind the storm";
    ++samples;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(samples, 5);

  for (auto& call : calls) {
    const auto [blocked, waited] = call.get();
    EXPECT_EQ(blocked.status, 503) << blocked.body;
    EXPECT_EQ(str(json(blocked)["type"]).find("database-timeout") != std::string::npos, true) << blocked.body;
    EXPECT_EQ(blocked.header("retry-after"), "2");
    EXPECT_GE(waited, 950ms);
  }
  // Six at a time, each after the 1 s lock timeout: four rounds, well within the acquire timeout.
  EXPECT_LT(since(storm_start), 7s);
  holder.exec("ROLLBACK");
  EXPECT_EQ(get("/api/products", "viewer").status, 200);
  // The queueing shows in /metrics.
  const std::string text = metrics().body;
  const std::string name = "\ntenantry_db_tenant_cap_waits_total ";
  const auto at = text.find(name);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(std::stod(text.substr(at + name.size())), 0);
}

TEST_F(BulkheadTest, TheCapIsValidatedAgainstThePoolSize) {
  config.database.pool_size = 4;
  config.database.max_connections_per_tenant = 5;
  try {
    validate(config);
    FAIL() << "a cap above the pool was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("database.max_connections_per_tenant must be at most"),
              std::string::npos)
        << e.what();
  }
}

// With the bulkhead off, a lock storm saturates the thread's whole pool. The catalog listener reloads on a
// connection of its own, so a suspension takes effect within a second, and /readyz (on its own connection
// too) stays 200.
TEST_F(BulkheadTest, ASaturatedPoolDelaysNeitherASuspensionNorReadiness) {
  config.database.pool_size = 4;
  config.database.max_connections_per_tenant = 4;  // no bulkhead: the storm takes every connection
  config.database.lock_timeout_ms = 4000;
  config.database.acquire_timeout_ms = 6000;
  token("viewer");
  token("owner", kOtherStore);
  testing::AdminSession holder(database().name());
  lock_products(holder, kStore);
  auto calls = storm(8);
  std::this_thread::sleep_for(300ms);

  // The request pool is saturated: the other store's products wait (proof that the storm holds it).
  auto blocked = std::async(std::launch::async, [this] {
    const auto start = Clock::now();
    const auto response = other_store_products();
    return std::make_pair(response.status, since(start));
  });
  std::this_thread::sleep_for(100ms);

  auto start = Clock::now();
  const auto ready = send_on_own_connection(port(), "GET", "/readyz", {"Host: localhost"});
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_LT(since(start), 1s);

  // As `tenantry tenant suspend` does: the catalog's trigger sends the NOTIFY.
  start = Clock::now();
  sql("UPDATE tenants SET state = 'suspended' WHERE schema_name = '" + std::string(kOtherStore) + "'", "");
  HttpResponse suspended;
  while (since(start) < 3s) {
    suspended = send_on_own_connection(port(), "GET", "/api/", {"Host: " + host(kOtherStore)});
    if (suspended.status == 403) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(suspended.status, 403) << suspended.body;
  EXPECT_LT(since(start), 1s) << "the suspension waited for the saturated pool";
  EXPECT_EQ(str(json(suspended)["type"]).find("tenant-suspended") != std::string::npos, true);

  const auto [other_status, other_waited] = blocked.get();
  EXPECT_GE(other_waited, 1s) << "the pool was not saturated";
  holder.exec("ROLLBACK");
  for (auto& call : calls) call.get();
}

/// The server runs as a role of its own with a CONNECTION LIMIT (as PostgreSQL's max_connections would):
/// it can open only a few request connections, fewer than the stores' home slots.
class ConnectionLimitTest : public BulkheadTest {
 protected:
  static constexpr int kStores = 8;
  static constexpr const char* kPassword = "limited-role-password";
  static constexpr int kLimit = 6;  // the control plane's 4 (two listeners, two reload connections) + 2

  ConnectionLimitTest() : role_("limited_" + database().name()) {
    config.database.pool_size = 8;
    config.database.connections_per_tenant = 1;
    config.auth.login_per_address_per_minute = 10'000;
    config.auth.login_per_account_per_minute = 10'000;  // one unknown account, many attempts
    testing::AdminSession admin(database().name());
    admin.exec("CREATE ROLE \"" + role_ + "\" LOGIN PASSWORD '" + kPassword + "' CONNECTION LIMIT " +
               std::to_string(kLimit));
    // A runtime role like the server's own (tenantry/db/tenant_roles.hpp), with a connection limit.
    admin.exec("GRANT tenantry_runtime TO \"" + role_ + "\"");
    admin.exec("GRANT CONNECT ON DATABASE \"" + database().name() + "\" TO \"" + role_ + "\"");
  }
  ~ConnectionLimitTest() override {
    if (app_) app_->stop(false);
    app_.reset();
    try {
      testing::admin_exec("DROP ROLE IF EXISTS \"" + role_ + "\"");
    } catch (const std::exception&) {
      // its last backends may still be exiting; the role is harmless
    }
  }
  void create_stores() {
    boost::asio::io_context io;
    db::Pool pool(io, db::PoolConfig{.connect = database().options(), .max_size = 2});
    for (int i = 0; i < kStores; ++i) {
      tenancy::NewTenant store{db::SchemaName("limited" + std::to_string(i)), "Limited " + std::to_string(i)};
      store.domains.emplace_back(host("limited" + std::to_string(i)));
      run_blocking(io, tenancy::TenantProvisioner(pool, tenant_plan()).create(store));
    }
    pool.close();
  }
  void start_limited_server() {
    app_ = std::make_unique<web::Application>(
        config, database().conninfo() + " user=" + db::conninfo_value(role_) + " password=" + kPassword,
        apps::all_routes(config, tenant_plan()), shared_plan(), tenant_plan());
    app_->start();
  }
  /// A failed login on a store: one statement in the store's schema (the throttle, the lookup); 401.
  HttpResponse login(int store) {
    const std::string body = R"({"email": "nobody@limited.test", "password": "wrong-password"})";
    return send_on_own_connection(
        app_->port(), "POST", "/api/auth/login",
        {"Host: " + host("limited" + std::to_string(store)), "Content-Type: application/json"}, body);
  }
  int role_connections() {
    return std::stoi(testing::AdminSession(database().name())
                         .exec("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + role_ + "'"));
  }

  std::string role_;
  std::unique_ptr<web::Application> app_;
};

TEST_F(ConnectionLimitTest, AtTheConnectionLimitEveryTenantIsServedByTheOpenConnections) {
  create_stores();
  start_limited_server();
  // Wait until the control plane has its connections and the pool one of its own.
  const auto start = Clock::now();
  while (login(0).status != 401 && since(start) < 5s) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(login(0).status, 401);

  // Every store, concurrently and twice over: most home slots can have no connection of their own.
  std::vector<std::future<HttpResponse>> calls;
  for (int round = 0; round < 2; ++round)
    for (int store = 0; store < kStores; ++store)
      calls.push_back(std::async(std::launch::async, [this, store] { return login(store); }));
  for (auto& call : calls) {
    const auto response = call.get();
    EXPECT_EQ(response.status, 401) << response.body;
  }
  for (int store = 0; store < kStores; ++store) EXPECT_EQ(login(store).status, 401) << "store " << store;
  EXPECT_LE(role_connections(), kLimit);  // the limit held: the stores shared the open connections
}

}  // namespace
}  // namespace tenantry

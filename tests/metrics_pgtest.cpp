// What an operator sees of a running server: /metrics counts every response with its tenant whatever produced
// it, its series only grow, every family is declared (HELP and TYPE), the database cost is there per tenant,
// log lines of a request name its tenant, and `tenantry top` reads it all from outside.
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "exposition_check.hpp"
#include "log_capture.hpp"
#include "tenant_test_case.hpp"
#include "tenantry/core/logging.hpp"
#include "tenantry/http/server.hpp"

namespace tenantry {
namespace {

using namespace std::chrono_literals;
using testing::Exposition;
using testing::HttpClient;
using testing::HttpResponse;
using testing::json;
using testing::str;

/// The output and exit code of a command run through the shell.
struct Outcome {
  int exit_code = -1;
  std::string output;
};

Outcome run_command(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  Outcome outcome;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    outcome.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

class MetricsTest : public testing::TenantTestCase {
 protected:
  /// The parsed and checked exposition of GET /metrics.
  Exposition scrape() {
    const auto r = metrics();
    EXPECT_EQ(r.status, 200) << r.body;
    Exposition e = testing::parse_exposition(r.body);
    EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors) << "\n" << r.body;
    return e;
  }
  static double requests(const Exposition& e, const std::string& route, const std::string& method, int status,
                         const std::string& tenant) {
    return e.value("tenantry_http_requests_total{route=\"" + route + "\",method=\"" + method +
                   "\",status=\"" + std::to_string(status) + "\",tenant=\"" + tenant + "\"}");
  }
  std::string bearer(const std::string& role, const std::string& store = kStore) {
    return "Authorization: Bearer " + token(role, store);
  }
};

// Before: only responses a handler returned were counted; thrown problems (401, 400, 404 ...), unexpected
// exceptions (500) and the resolution's own answers had no series, or none with their tenant.
TEST_F(MetricsTest, EveryResponseIsCountedWithItsTenantWhateverProducedIt) {
  const std::string viewer = bearer("viewer"), staff = bearer("staff");
  const std::string store = "Host: " + host();
  EXPECT_EQ(request("GET", "/api/me", {store}).status, 401);                             // thrown: no token
  EXPECT_EQ(request("POST", "/api/products", {store, staff}, "{not json").status, 400);  // thrown: bad JSON
  EXPECT_EQ(request("GET", "/api/products/987654", {store, viewer}).status, 404);        // thrown: no product
  EXPECT_EQ(request("PUT", "/api/me", {store, viewer}).status, 405);                     // no such method
  EXPECT_EQ(request("POST", "/api/products", {store, viewer}, R"({"sku":"A"})").status, 403);  // role
  EXPECT_EQ(request("GET", "/api/", {"Host: nobody.example.org"}).status, 404);                // no tenant
  // An unexpected exception: a column the handler's query needs is gone.
  sql("ALTER TABLE products RENAME COLUMN name TO title");
  EXPECT_EQ(request("GET", "/api/products", {store, viewer}).status, 500);

  const auto e = scrape();
  EXPECT_EQ(requests(e, "/api/me", "GET", 401, "store"), 1);
  EXPECT_EQ(requests(e, "/api/products", "POST", 400, "store"), 1);
  EXPECT_EQ(requests(e, "/api/products/{id:int}", "GET", 404, "store"), 1) << e.text;
  EXPECT_EQ(requests(e, "unmatched", "PUT", 405, "store"), 1);
  EXPECT_EQ(requests(e, "/api/products", "POST", 403, "store"), 1);
  EXPECT_EQ(requests(e, "unmatched", "GET", 404, "-"), 1);
  EXPECT_EQ(requests(e, "/api/products", "GET", 500, "store"), 1);
  // Each of them is in the tenant's latency histogram too.
  EXPECT_GE(e.value("tenantry_tenant_request_duration_seconds_count{tenant=\"store\"}"), 7);
}

// A suspended store's 403 and the 503 of a server-side request timeout are counted too (the latter through
// the server's response observer, which sees every response it writes).
TEST_F(MetricsTest, SuspendedStoresAndServerTimeoutsAreCounted) {
  ASSERT_EQ(admin("POST", "/admin/api/tenants/other/suspend").status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: " + host(kOtherStore)}).status, 403);
  EXPECT_EQ(requests(scrape(), "unmatched", "GET", 403, "other"), 1);

  http::ServerOptions options;
  options.port = 0;
  options.threads = 1;
  options.access_log = false;
  options.request_timeout = 100ms;
  http::Server server(options, [](http::Request& request) -> Task<http::Response> {
    request.annotations.tenant = "slow";
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 5s);
    co_await timer.async_wait(boost::asio::use_awaitable);
    co_return http::Response::text(200, "late");
  });
  std::mutex mutex;
  std::vector<std::pair<int, std::string>> seen;
  server.observe([&](std::size_t, const http::Request& request, const http::Response& response, auto) {
    std::lock_guard lock(mutex);
    seen.emplace_back(response.status, request.annotations.tenant);
  });
  server.start();
  EXPECT_EQ(HttpClient(server.local_port()).get("/").status, 503);
  server.stop(false);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], std::make_pair(503, std::string("slow")));
}

// Before: labels went by cumulative rank at each scrape, so when "third" overtook "store" the store's
// series vanished into "other" and counters went down.
TEST_F(MetricsTest, TenantLabelsAreStickySoNoCounterEverDecreases) {
  config.server.metrics_tenant_labels = 1;
  ASSERT_EQ(admin("POST", "/admin/api/tenants", R"({"slug": "third", "name": "Third"})").status, 201);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(request("GET", "/api/", {"Host: " + host()}).status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: third.localhost"}).status, 200);
  const auto before = scrape();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(request("GET", "/api/", {"Host: third.localhost"}).status, 200);
  EXPECT_EQ(request("GET", "/api/nothing", {"Host: third.localhost"}).status, 404);
  const auto after = scrape();

  std::size_t compared = 0;
  for (const auto& [series, value] : before.samples) {
    if (before.type_of(series) != "counter" && before.type_of(series) != "histogram") continue;
    if (series.starts_with("process_") || series.find("_bucket{") != std::string::npos ||
        series.find("_sum{") != std::string::npos || series.find("_count{") != std::string::npos ||
        series.find("_total") != std::string::npos) {
      ASSERT_TRUE(after.samples.count(series)) << series << " vanished\n" << after.text;
      EXPECT_GE(after.samples.at(series), value) << series;
      ++compared;
    }
  }
  EXPECT_GT(compared, 20u);
  // The first tenant seen keeps its name; the one that overtook it is "_other", for good.
  EXPECT_EQ(requests(after, "/api/", "GET", 200, "store"), 2);
  EXPECT_EQ(requests(after, "/api/", "GET", 200, "_other"), 7);
  EXPECT_EQ(after.text.find("tenant=\"third\""), std::string::npos);
}

// Before: the pool counters summed idle connections only, so while a request held the tenant's connection
// (here: behind a table lock) the next request's snapshot left that connection's past traffic out, and
// tenantry_db_round_trips_total went down.
TEST_F(MetricsTest, PoolCountersNeverDecreaseWhileAConnectionIsLeased) {
  config.database.lock_timeout_ms = 3000;
  token("viewer");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get("/api/products", "viewer").status, 200);  // traffic on it
  const auto before = scrape();
  testing::AdminSession holder(database().name());
  holder.exec("BEGIN");
  holder.exec("LOCK TABLE store.products IN ACCESS EXCLUSIVE MODE");
  const std::string viewer = bearer("viewer");
  std::thread blocked([&] {
    HttpClient client(port());
    client.request("GET", "/api/products", {"Host: " + host(), viewer});
  });
  // Once the blocked request holds its connection, other requests of the store publish the pool's state.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (holder.exec(
             "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'store.products'::regclass") !=
             "1" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("/api/me", "viewer").status, 200);
  const auto during = scrape();
  holder.exec("ROLLBACK");
  blocked.join();
  for (const char* counter : {"tenantry_db_round_trips_total", "tenantry_db_statements_total",
                              "tenantry_db_prepares_total", "tenantry_db_search_path_switches_total"})
    EXPECT_GE(during.value(counter), before.value(counter)) << counter;
}

// Labels are allocated up front (a histogram and counters per label and I/O thread): the setting is bounded.
TEST_F(MetricsTest, TenantLabelsSettingIsBounded) {
  const auto shown =
      run_command("TENANTRY_SERVER_METRICS_TENANT_LABELS=1000 " TENANTRY_BINARY " config show");
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("metrics_tenant_labels = 1000"), std::string::npos) << shown.output;
  const auto refused =
      run_command("TENANTRY_SERVER_METRICS_TENANT_LABELS=1001 " TENANTRY_BINARY " config show");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("server.metrics_tenant_labels"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("must be at most 1000"), std::string::npos) << refused.output;
}

// Every family has HELP and TYPE and valid names and labels (checked by our parser, and by promtool when it
// is installed); process metrics, build info and the latency histograms are there.
TEST_F(MetricsTest, ExpositionDeclaresEveryFamilyAndHasProcessAndBuildInfo) {
  EXPECT_EQ(get("/api/me").status, 200);
  EXPECT_EQ(get("/api/products", "viewer").status, 200);
  const auto r = metrics();
  const auto e = scrape();
  for (const char* family :
       {"tenantry_http_requests_total", "tenantry_http_request_duration_seconds",
        "tenantry_tenant_request_duration_seconds", "tenantry_db_seconds_total", "tenantry_db_rows_total",
        "tenantry_db_tenant_statements_total", "tenantry_db_pool_connections", "tenantry_catalog_tenants",
        "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_cpu_seconds_total",
        "process_open_fds", "process_max_fds", "process_start_time_seconds", "tenantry_build_info"})
    EXPECT_TRUE(e.types.count(family)) << family;
  EXPECT_EQ(e.types.at("tenantry_http_request_duration_seconds"), "histogram");
  EXPECT_EQ(e.types.at("tenantry_tenant_request_duration_seconds"), "histogram");
  EXPECT_EQ(e.value("tenantry_tenant_request_duration_seconds_bucket{tenant=\"store\",le=\"+Inf\"}"),
            e.value("tenantry_tenant_request_duration_seconds_count{tenant=\"store\"}"));
  EXPECT_GT(e.value("process_resident_memory_bytes"), 1e6);
  EXPECT_GT(e.value("process_open_fds"), 3);
  EXPECT_GT(e.value("process_max_fds"), e.value("process_open_fds"));
  const double started = e.value("process_start_time_seconds");
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LT(std::abs(now - started), 3600) << started;  // this test's own process, started moments ago
  const std::regex build_info(
      R"re(tenantry_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+",compiler="[^"]+"\} 1)re");
  EXPECT_TRUE(std::regex_search(e.text, build_info)) << e.text;

  // promtool, when installed (Debian package prometheus), must have nothing to say either.
  if (run_command("command -v promtool").exit_code == 0) {
    const std::string file = ::testing::TempDir() + "/metrics.txt";
    std::ofstream(file) << r.body;
    const auto checked = run_command("promtool check metrics < '" + file + "'");
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_EQ(checked.output, "") << checked.output;
  }
}

// Time and rows in the database, per tenant: the store's list requests are there, the other store's cost
// does not move.
TEST_F(MetricsTest, DatabaseCostIsCountedPerTenant) {
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(post("/api/products",
                   {{"sku", "S" + std::to_string(i)}, {"name", "Cable"}, {"price_cents", 100}}, "staff")
                  .status,
              201);
  token("viewer");
  token("owner", kOtherStore);
  EXPECT_EQ(get("/api/me", "owner", kOtherStore).status, 200);
  const auto before = scrape();
  constexpr int kLists = 5;
  for (int i = 0; i < kLists; ++i) EXPECT_EQ(get("/api/products", "viewer").status, 200);
  const auto after = scrape();
  auto delta = [&](const std::string& series) { return after.value(series) - before.value(series); };
  // Each list returns its 3 products and a count row.
  EXPECT_GE(delta("tenantry_db_rows_total{tenant=\"store\"}"), kLists * 4);
  EXPECT_GT(delta("tenantry_db_seconds_total{tenant=\"store\"}"), 0);
  EXPECT_GE(delta("tenantry_db_tenant_statements_total{tenant=\"store\"}"), kLists * 2);
  EXPECT_GT(after.value("tenantry_db_rows_total{tenant=\"other\"}"), 0);  // its /api/me
  EXPECT_EQ(delta("tenantry_db_rows_total{tenant=\"other\"}"), 0);
  EXPECT_EQ(delta("tenantry_db_seconds_total{tenant=\"other\"}"), 0);
}

// Before: a handler's error logged tenant=- (the tenant was only on returned responses).
TEST_F(MetricsTest, LogLinesOfARequestNameItsTenantAndTheAccessLineItsRoute) {
  testing::LogCapture log;
  config.server.access_log = true;
  const std::string viewer = bearer("viewer");
  sql("ALTER TABLE products RENAME COLUMN name TO title");
  EXPECT_EQ(request("GET", "/api/products", {"Host: " + host(), viewer, "X-Request-Id: broken-1"}).status,
            500);
  EXPECT_EQ(request("GET", "/api/me", {"Host: " + host(), "X-Request-Id: anon-1"}).status, 401);
  const std::regex access_500(
      R"(GET /api/products 500 [0-9.]+ms tenant=store request_id=broken-1 client=127\.0\.0\.1 route=/api/products)");
  const std::regex access_401(
      R"(GET /api/me 401 [0-9.]+ms tenant=store request_id=anon-1 client=127\.0\.0\.1 route=/api/me)");
  const std::string text = log.wait_for(access_401);
  EXPECT_NE(text.find("request broken-1 GET /api/products tenant=store failed"), std::string::npos) << text;
  EXPECT_TRUE(std::regex_search(text, access_500)) << text;
  EXPECT_TRUE(std::regex_search(text, access_401)) << text;
}

// `tenantry top --once --json`: two scrapes of the running server, traffic in between, busiest first.
TEST_F(MetricsTest, TopShowsTheBusiestTenantsOfARunningServer) {
  const std::string viewer = bearer("viewer"), other = bearer("owner", kOtherStore);
  std::atomic<bool> done{false};
  std::thread traffic([&] {
    HttpClient client(port());
    while (!done) {
      client.request("GET", "/api/products", {"Host: " + host(), viewer});
      client.request("GET", "/api/me", {"Host: " + host()});  // 401
      client.request("GET", "/api/products", {"Host: " + host(), viewer});
      client.request("GET", "/api/me", {"Host: " + host(kOtherStore), other});
      std::this_thread::sleep_for(5ms);
    }
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(port()) + "/metrics";
  const auto top = run_command(std::string("TENANTRY_SERVER_METRICS_TOKEN=") + kMetricsToken +
                               " " TENANTRY_BINARY " top --once --json --interval 0.5 --url " + url);
  const auto text = run_command(std::string(TENANTRY_BINARY) + " top --once --interval 0.2 --limit 1 --url " +
                                url + " --token " + kMetricsToken);
  done = true;
  traffic.join();
  ASSERT_EQ(top.exit_code, 0) << top.output;
  const auto result = boost::json::parse(top.output).as_object();
  EXPECT_GE(result.at("interval_seconds").as_double(), 0.5);
  const auto& tenants = result.at("tenants").as_array();
  ASSERT_GE(tenants.size(), 2u) << top.output;
  const auto& first = tenants[0].as_object();
  const auto& second = tenants[1].as_object();
  EXPECT_EQ(first.at("tenant"), "store") << top.output;
  EXPECT_EQ(second.at("tenant"), "other") << top.output;
  // The store makes three requests for each of the other's: one of them a 401.
  const double store_rate = first.at("requests_per_second").as_double();
  const double other_rate = second.at("requests_per_second").as_double();
  EXPECT_GT(store_rate, 2 * other_rate) << top.output;
  EXPECT_NEAR(first.at("errors_4xx_per_second").as_double(), store_rate / 3, store_rate / 6) << top.output;
  EXPECT_EQ(second.at("errors_4xx_per_second").as_double(), 0) << top.output;
  EXPECT_EQ(first.at("errors_5xx_per_second").as_double(), 0) << top.output;
  EXPECT_GT(first.at("db_seconds_per_second").as_double(), 0) << top.output;
  EXPECT_GT(first.at("db_rows_per_second").as_double(), 0) << top.output;
  ASSERT_TRUE(first.at("p99_seconds").is_double()) << top.output;
  EXPECT_GT(first.at("p99_seconds").as_double(), 0);
  EXPECT_LT(first.at("p99_seconds").as_double(), 10);

  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("TENANT"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("\nstore "), std::string::npos) << text.output;
  EXPECT_EQ(text.output.find("\nother "), std::string::npos) << text.output;  // --limit 1

  // Without the token the main listener refuses: a clear error, exit 1.
  const auto refused = run_command(std::string(TENANTRY_BINARY) + " top --once --interval 0.1 --url " + url);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("401"), std::string::npos) << refused.output;
  // A listener with no /metrics at that address (as the main one without a token): the error says where.
  const auto missing = run_command(std::string(TENANTRY_BINARY) + " top --once --interval 0.1 --url " + url +
                                   "-nowhere --token " + kMetricsToken);
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("server.metrics_listen"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace tenantry

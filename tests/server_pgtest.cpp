// `tenantry serve` behaviour end to end over HTTP: tenant resolution, isolation under concurrency, catalog
// changes from another process, shutdown.
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <future>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "http_client.hpp"
#include "serve_process.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/web/application.hpp"
#include "test_database.hpp"

namespace tenantry {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::ServeProcess;

/// The I/O thread running the caller, as a token the tests compare.
std::string thread_token() {
  return std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}

/// Handlers of GET /slow that have started.
std::atomic<int> g_slow_started{0};

/// `tenantry serve <args>` on `conninfo` with `env` set, as a child process.
testing::ServeProcess::Options serve_options(const std::string& conninfo, std::vector<std::string> args,
                                             testing::Environment env = {}) {
  args.insert(args.begin(), "serve");
  return {.binary = TENANTRY_BINARY, .conninfo = conninfo, .args = std::move(args), .env = std::move(env)};
}

class TenantServerTest : public testing::PgTest {
 protected:
  TenantServerTest() : runner_(*pool_, apps::installed()) {
    EXPECT_NE(run(runner_.migrate_shared()).kind, migrations::SchemaOutcome::Kind::kFailed);
    config_.server.listen = "127.0.0.1:0";
    config_.server.threads = 2;
    config_.server.access_log = false;
  }
  ~TenantServerTest() override {
    if (app_) app_->stop(false);
  }

  void create(const std::string& slug, std::vector<std::string> domains = {}) {
    tenancy::NewTenant t{db::SchemaName(slug), "Store " + slug};
    for (const auto& d : domains) t.domains.emplace_back(d);
    run(tenancy::TenantProvisioner(*pool_, runner_.tenant_plan()).create(t));
    // A row that only this tenant has, to prove where each answer came from.
    run(db::Session(*pool_, t.schema)
            .query("INSERT INTO products (sku, name, price_cents) VALUES ($1, 'marker', 1)", slug));
  }
  void start() {
    if (app_) app_->stop(false);
    auto routes = apps::all_routes(config_, runner_.tenant_plan());
    routes.tenant_routes.add(
        "GET", "/whoami",
        [](web::RequestContext& ctx) -> Task<http::Response> {
          auto r = co_await ctx.db.query(
              "SELECT sku, current_schema(), pg_backend_pid() FROM products ORDER BY id LIMIT 1");
          co_return http::Response::json(200, {{"tenant", ctx.tenant->schema.str()},
                                               {"sku", r.one().get<std::string>(0)},
                                               {"schema", r.one().get<std::string>(1)},
                                               {"backend", r.one().get<std::int64_t>(2)}});
        },
        {.summary = "Test: who serves"});
    // The thread that accepted the connection: public routes run there.
    routes.public_routes.add("GET", "/thread",
                             [](web::RequestContext&) -> Task<http::Response> {
                               co_return http::Response::json(200, {{"thread", thread_token()}});
                             },
                             {.summary = "Test: the thread"});
    // Takes ?ms= milliseconds, then queries the tenant's schema; on the tenant's thread with tenant affinity.
    routes.tenant_routes.add(
        "GET", "/slow",
        [](web::RequestContext& ctx) -> Task<http::Response> {
          ++g_slow_started;
          const std::chrono::milliseconds pause(std::stoi(ctx.request.query_param("ms").value_or("0")));
          boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, pause);
          co_await timer.async_wait(boost::asio::use_awaitable);
          auto r = co_await ctx.db.query("SELECT current_schema()");
          co_return http::Response::json(200, {{"tenant", ctx.tenant->schema.str()},
                                               {"schema", r.one().get<std::string>(0)},
                                               {"thread", thread_token()}});
        },
        {.summary = "Test: slow", .query = {{"ms", web::Schema::integer(0, 60000)}}});
    app_ = std::make_unique<web::Application>(config_, database_.conninfo(), std::move(routes),
                                              runner_.shared_plan(), runner_.tenant_plan());
    app_->start();
  }
  /// The tenant that answered GET /whoami, "public" for the public API root, or the problem type.
  std::string who(const std::string& host, const std::string& target = "/whoami",
                  std::vector<std::string> extra = {}) {
    HttpClient client(app_->port());
    extra.push_back("Host: " + host);
    auto r = client.request("GET", target, extra);
    auto body = boost::json::parse(r.body).as_object();
    if (body.contains("tenant") && body["tenant"].is_string()) return std::string(body["tenant"].as_string());
    if (body.contains("schema") && body["schema"] == "public") return "public";
    if (body.contains("type")) {
      std::string type(body["type"].as_string());
      return std::to_string(r.status) + " " + type.substr(type.rfind('/') + 1);
    }
    return std::to_string(r.status);
  }

  migrations::MigrationRunner runner_;
  Config config_;
  std::unique_ptr<web::Application> app_;
};

TEST_F(TenantServerTest, ResolutionMatrix) {
  create("acme", {"shop.example.com"});
  create("beta");
  create("susp");
  create("arch");
  run(tenancy::TenantCatalog(*pool_).suspend(db::SchemaName("susp")));
  run(tenancy::TenantCatalog(*pool_).archive(db::SchemaName("arch")));
  run(db::Session(*pool_).query("INSERT INTO tenants (schema_name, name) VALUES ('prov', 'Provisioning')"));
  config_.tenancy.path_resolver = true;  // off by default
  start();

  EXPECT_EQ(who("shop.example.com"), "acme");                // exact domain
  EXPECT_EQ(who("SHOP.Example.COM"), "acme");                // case-insensitive
  EXPECT_EQ(who("shop.example.com:8080"), "acme");           // port stripped
  EXPECT_EQ(who("shop.example.com."), "acme");               // trailing dot
  EXPECT_EQ(who("www.shop.example.com"), "acme");            // www. stripped
  EXPECT_EQ(who("beta.localhost"), "beta");                  // subdomain of the base domain
  EXPECT_EQ(who("acme.localhost"), "404 tenant-not-found");  // acme has an explicit domain
  EXPECT_EQ(who("localhost", "/api/"), "public");            // public host
  EXPECT_EQ(who("127.0.0.1:8080", "/api/"), "public");
  EXPECT_EQ(who("localhost", "/t/beta/whoami"), "beta");  // path prefix, stripped before routing
  EXPECT_EQ(who("localhost", "/t/nope/whoami"), "404 tenant-not-found");
  EXPECT_EQ(who("shop.example.com", "/t/beta/whoami"), "404 not-found");  // on public hosts only
  EXPECT_EQ(who("localhost", "/api/", {"X-Tenant: beta"}), "public");     // header resolver off by default
  EXPECT_EQ(who("unknown.example.org"), "404 tenant-not-found");
  EXPECT_EQ(who("susp.localhost"), "403 tenant-suspended");
  EXPECT_EQ(who("arch.localhost"), "404 tenant-not-found");
  EXPECT_EQ(who("prov.localhost"), "503 tenant-provisioning");
  EXPECT_EQ(HttpClient(app_->port()).get("/whoami", "prov.localhost").header("retry-after"), "2");
  EXPECT_EQ(who("beta.localhost", "/nothing"), "404 not-found");
  EXPECT_EQ(HttpClient(app_->port()).request("POST", "/whoami", {"Host: beta.localhost"}).status, 405);

  // Malformed hosts are refused before resolution.
  EXPECT_EQ(HttpClient(app_->port()).get("/whoami", "bad host\"").status, 400);
  EXPECT_EQ(HttpClient(app_->port()).raw("GET /whoami HTTP/1.1\r\n\r\n").status, 400);

  config_.tenancy.header_resolver = true;
  config_.tenancy.header_trusted_networks = {"127.0.0.0/8"};  // required with the header resolver
  config_.tenancy.unknown_host = "public";
  start();
  EXPECT_EQ(who("localhost", "/whoami", {"X-Tenant: beta"}), "beta");
  EXPECT_EQ(who("shop.example.com", "/whoami", {"X-Tenant: nope"}), "404 tenant-not-found");
  EXPECT_EQ(who("unknown.example.org", "/api/"), "public");

  config_.tenancy.header_trusted_networks = {"10.0.0.0/8"};
  start();
  EXPECT_EQ(who("localhost", "/api/", {"X-Tenant: beta"}), "public");  // 127.0.0.1 is not trusted
}

TEST_F(TenantServerTest, ConcurrentRequestsNeverCrossTenants) {
  constexpr int kTenants = 20, kConnections = 64, kPerConnection = 32;
  for (int i = 0; i < kTenants; ++i) create("store" + std::to_string(i));
  start();
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c)
    clients.emplace_back([&, c] {
      std::mt19937 random(c);
      HttpClient client(app_->port());
      for (int i = 0; i < kPerConnection; ++i) {
        const std::string tenant = "store" + std::to_string(random() % kTenants);
        auto r = client.get("/whoami", tenant + ".localhost");
        auto body = boost::json::parse(r.body).as_object();
        const bool mine = r.status == 200 && body["tenant"] == tenant.c_str() &&
                          body["sku"] == tenant.c_str() && body["schema"] == tenant.c_str();
        (mine ? ok : wrong)++;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ok.load(), kConnections * kPerConnection);
}

// Tenant affinity end to end: whichever I/O thread accepted the client connection, a tenant's requests run on
// its own thread and reach the same backend, so each backend caches the catalogs of a share of the tenants.
TEST_F(TenantServerTest, EachTenantIsServedByOneBackend) {
  for (const char* slug : {"alpha", "beta", "gamma"}) create(slug);
  // Never give up on the home connection: on a loaded test machine a background query holding it for longer
  // than the default wait would legitimately send a request elsewhere.
  config_.database.affinity_wait_ms = 10'000;
  start();
  std::map<std::string, std::set<std::int64_t>> backends;
  for (int i = 0; i < 60; ++i) {
    const std::string tenant = i % 3 == 0 ? "alpha" : i % 3 == 1 ? "beta" : "gamma";
    HttpClient client(app_->port());  // a new connection each time: the kernel spreads them over the threads
    auto r = client.get("/whoami", tenant + ".localhost");
    ASSERT_EQ(r.status, 200) << r.body;
    backends[tenant].insert(boost::json::parse(r.body).as_object()["backend"].as_int64());
  }
  for (const auto& [tenant, pids] : backends) EXPECT_EQ(pids.size(), 1u) << tenant;
}

TEST_F(TenantServerTest, SuspensionByAnotherProcessTakesEffectWithinASecond) {
  create("acme");
  start();
  EXPECT_EQ(who("acme.localhost"), "acme");
  auto cli = [&](const std::string& args) {
    const std::string command = "TENANTRY_DATABASE_URL=\"" + database_.conninfo() +
                                "\" " TENANTRY_BINARY " " + args + " >/dev/null 2>&1";
    return std::system(command.c_str());
  };
  auto wait_for = [&](const std::string& expected) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
      if (who("acme.localhost") == expected) return std::chrono::steady_clock::now() - start;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::chrono::steady_clock::duration::max();
  };
  ASSERT_EQ(cli("tenant suspend acme"), 0);
  EXPECT_LT(wait_for("403 tenant-suspended"), std::chrono::seconds(1));
  ASSERT_EQ(cli("tenant resume acme"), 0);
  EXPECT_LT(wait_for("acme"), std::chrono::seconds(1));
  ASSERT_EQ(cli("domain add acme acme.example.net"), 0);
  const auto start = std::chrono::steady_clock::now();
  while (who("acme.example.net") != "acme" &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(1))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(who("acme.example.net"), "acme");
}

TEST_F(TenantServerTest, ReadinessReportsPendingTenantMigrations) {
  create("acme");
  start();
  HttpClient client(app_->port());
  EXPECT_EQ(client.get("/readyz").status, 200);
  EXPECT_EQ(client.get("/healthz", "acme.localhost").status, 200);
  run(db::Session(*pool_).query("UPDATE tenants SET migrations_digest = NULL"));
  auto r = client.get("/readyz");
  // The instance stays ready and lists the tenant, which answers its own 503 (lifecycle_http_pgtest.cpp).
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"tenants_migrating\":{\"count\":1,\"tenants\":[\"acme\"]}"), std::string::npos)
      << r.body;
}

// Graceful stop with tenant affinity: a request whose handler runs on another I/O thread than the one that
// accepted its connection gets its whole answer, and the stop does not wait for the drain timeout.
TEST_F(TenantServerTest, GracefulStopFinishesRequestsServedOnAnotherThread) {
  // Homed on both threads (tenant_thread hashes the slug), which the probe below confirms.
  const std::vector<std::string> slugs{"alpha", "beta", "gamma", "delta"};
  for (const auto& slug : slugs) create(slug);
  config_.server.drain_timeout_ms = 10'000;
  start();
  auto json_thread = [](const HttpResponse& r) {
    return std::string(boost::json::parse(r.body).as_object().at("thread").as_string());
  };
  std::map<std::string, std::string> tenant_of_thread;  // the thread that serves a tenant → that tenant
  for (const auto& slug : slugs) {
    auto r = HttpClient(app_->port()).get("/slow?ms=0", slug + ".localhost");
    ASSERT_EQ(r.status, 200) << r.body;
    tenant_of_thread[json_thread(r)] = slug;
  }
  ASSERT_EQ(tenant_of_thread.size(), 2u) << "every tenant is served by one thread";
  const std::string first = tenant_of_thread.begin()->first;
  const std::string second = std::next(tenant_of_thread.begin())->first;
  auto other = [&](const std::string& thread) { return thread == first ? second : first; };

  // Each connection knows the thread that accepted it. Every request of `cross` connections runs on the other
  // thread, taking longer on `second` (900 ms) than on `first` (600 ms); `local` requests take 300 ms. So
  // some thread always has a request of another thread's connection running after its own connections are
  // done: the second thread if the first accepted a cross connection, else the first.
  struct Call {
    std::unique_ptr<HttpClient> client;
    std::string tenant;
    int ms;
  };
  std::vector<Call> calls;
  for (int i = 0; i < 12; ++i) {
    auto client = std::make_unique<HttpClient>(app_->port());
    auto r = client->get("/thread");
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string accepted = json_thread(r);
    const bool cross = i % 3 != 2;
    const std::string runs_on = cross ? other(accepted) : accepted;
    const int ms = !cross ? 300 : runs_on == second ? 900 : 600;
    calls.push_back({std::move(client), tenant_of_thread[runs_on], ms});
  }
  g_slow_started = 0;
  std::vector<std::future<HttpResponse>> answers;
  for (auto& call : calls) {
    answers.push_back(std::async(std::launch::async, [&call] {
      return call.client->get("/slow?ms=" + std::to_string(call.ms), call.tenant + ".localhost");
    }));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (g_slow_started < static_cast<int>(calls.size()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(g_slow_started.load(), static_cast<int>(calls.size()));

  const auto stopping = std::chrono::steady_clock::now();
  app_->stop(true);
  app_->wait();
  const auto took = std::chrono::steady_clock::now() - stopping;
  EXPECT_LT(took, std::chrono::seconds(3)) << "the stop waited for the drain timeout";
  for (std::size_t i = 0; i < calls.size(); ++i) {
    HttpResponse r;
    try {
      r = answers[i].get();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "request " << i << " for " << calls[i].tenant << ": " << e.what();
      continue;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = boost::json::parse(r.body).as_object();
    EXPECT_EQ(body.at("tenant"), calls[i].tenant.c_str());
    EXPECT_EQ(body.at("schema"), calls[i].tenant.c_str());
    EXPECT_EQ(r.header("connection"), "close");
  }
}

// The real binary: SIGTERM ends it cleanly (exit 0) after it served requests.
TEST_F(TenantServerTest, ServeExitsCleanlyOnSigterm) {
  ServeProcess serve(serve_options(database_.conninfo(), {"--migrate", "--demo"}));
  ASSERT_NE(serve.port(), 0) << serve.log();
  HttpClient client(serve.port());
  EXPECT_EQ(client.get("/api/", "acme.localhost").status, 200);
  EXPECT_EQ(serve.stop(), 0) << serve.log();  // exited, not killed by the signal
}

// A port another server listens on is a start-up error naming the address, not a second server sharing it.
TEST_F(TenantServerTest, ServeRefusesAPortInUse) {
  ServeProcess first(serve_options(database_.conninfo(), {"--migrate", "--demo"}));
  ASSERT_NE(first.port(), 0) << first.log();
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  ServeProcess second(serve_options(database_.conninfo(), {}, {{"TENANTRY_SERVER_LISTEN", address}}));
  EXPECT_EQ(second.port(), 0) << second.log();
  EXPECT_EQ(second.wait(std::chrono::seconds(10)), 1) << second.log();
  EXPECT_NE(second.log().find("cannot listen on " + address + ": Address already in use"), std::string::npos)
      << second.log();
  EXPECT_EQ(HttpClient(first.port()).get("/api/", "acme.localhost").status,
            200);  // the first one is unharmed
  EXPECT_EQ(first.stop(), 0) << first.log();
}

/// The non-empty lines of `text`.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  for (std::size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1)
    if (end > begin) lines.push_back(text.substr(begin, end - begin));
  if (begin < text.size()) lines.push_back(text.substr(begin));
  return lines;
}

const std::regex kIsoUtc(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

// log.format = "json": every line on standard error, application log and access log, is one JSON object.
TEST_F(TenantServerTest, ServeLogsOneJsonObjectPerLine) {
  ServeProcess serve(
      serve_options(database_.conninfo(), {"--migrate", "--demo"}, {{"TENANTRY_LOG_FORMAT", "json"}}));
  ASSERT_NE(serve.port(), 0) << serve.log();
  HttpClient client(serve.port());
  // The root declares no query parameter: a 400, whose query is not logged either.
  EXPECT_EQ(client.request("GET", "/api/?token=secret", {"Host: acme.localhost", "X-Request-Id: json-log-1"})
                .status,
            400);
  EXPECT_EQ(
      client.request("GET", "/api/%22quoted%5C", {"Host: acme.localhost", "X-Request-Id: json-log-2"}).status,
      404);
  EXPECT_EQ(serve.stop(), 0) << serve.log();

  const auto lines = lines_of(serve.log());
  std::map<std::string, boost::json::object> access;  // by request id
  bool said_serving = false, said_sigterm = false;
  for (const auto& line : lines) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(value.is_object()) << line;
    const auto& entry = value.as_object();
    ASSERT_TRUE(entry.contains("timestamp") && entry.at("timestamp").is_string()) << line;
    EXPECT_TRUE(std::regex_match(std::string(entry.at("timestamp").as_string()), kIsoUtc)) << line;
    ASSERT_TRUE(entry.contains("level") && entry.at("level").is_string()) << line;
    ASSERT_TRUE(entry.contains("message") && entry.at("message").is_string()) << line;
    const std::string message(entry.at("message").as_string());
    said_serving |= message.starts_with("serving ");
    said_sigterm |= message.starts_with("SIGTERM");
    if (entry.contains("request_id")) access[std::string(entry.at("request_id").as_string())] = entry;
  }
  EXPECT_TRUE(said_serving) << serve.log();
  EXPECT_TRUE(said_sigterm) << serve.log();
  ASSERT_EQ(access.count("json-log-1"), 1u) << serve.log();
  const auto& ok = access["json-log-1"];
  EXPECT_EQ(ok.at("level"), "info");
  EXPECT_EQ(ok.at("message"), "GET /api/ 400");
  EXPECT_EQ(ok.at("method"), "GET");
  EXPECT_EQ(ok.at("path"), "/api/");  // without the query
  EXPECT_EQ(ok.at("status"), 400);
  EXPECT_TRUE(ok.at("duration_ms").is_number());
  EXPECT_EQ(ok.at("tenant"), "acme");
  EXPECT_EQ(ok.at("client"), "127.0.0.1");
  EXPECT_EQ(serve.log().find("secret"), std::string::npos);
  ASSERT_EQ(access.count("json-log-2"), 1u) << serve.log();
  EXPECT_EQ(access["json-log-2"].at("path"), "/api/%22quoted%5C");
}

// log.format = "text" (the default): every line starts with its time, ISO 8601 UTC, then the level.
TEST_F(TenantServerTest, ServeTextLogLinesStartWithATimestamp) {
  ServeProcess serve(serve_options(database_.conninfo(), {"--migrate", "--demo"}));
  ASSERT_NE(serve.port(), 0) << serve.log();
  EXPECT_EQ(HttpClient(serve.port())
                .request("GET", "/api/", {"Host: acme.localhost", "X-Request-Id: text-1"})
                .status,
            200);
  EXPECT_EQ(serve.stop(), 0) << serve.log();
  const std::regex line_start(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (trace|debug|info|warning|error|critical): .*)");
  bool access = false;
  for (const auto& line : lines_of(serve.log())) {
    EXPECT_TRUE(std::regex_match(line, line_start)) << line;
    access |= line.find("GET /api/ 200 ") != std::string::npos &&
              line.find("tenant=acme request_id=text-1 client=127.0.0.1") != std::string::npos;
  }
  EXPECT_TRUE(access) << serve.log();
}

}  // namespace
}  // namespace tenantry

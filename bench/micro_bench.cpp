// Google Benchmark micro-benchmarks (issue 6): the router, the tenant resolver over 10,000 tenants, JSON
// encoding of a product page, and the HTTP request path from raw bytes to a routed Request and a serialized
// response head.
//
// The resolver reads an in-memory TenantDirectory, which can only be loaded from a database: the benchmark
// fills a catalog with 10,000 tenants in TENANTRY_BENCH_DATABASE_URL when set (it must be an empty, throwaway
// database), else in a throwaway embedded cluster under TENANTRY_BENCH_VAR_DIR (default: a new /tmp
// directory), stopped and removed at the end.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "http/wire.hpp"
#include "tenantry/core/run_blocking.hpp"
#include "tenantry/db/embedded_cluster.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/http/request.hpp"
#include "tenantry/http/response.hpp"
#include "tenantry/http/router.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenancy_app.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_resolver.hpp"
#include "tenantry/web/pagination.hpp"

namespace {

using namespace tenantry;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------------------------
// Router: a TechStore-sized tenant API (36 routes), matched with the ids a client sends.

http::Router<int> techstore_router() {
  http::Router<int> r;
  int n = 0;
  auto crud = [&](const std::string& base, const std::string& id) {
    r.add("GET", base, n++);
    r.add("POST", base, n++);
    r.add("GET", base + "/{" + id + ":int}", n++);
    r.add("PATCH", base + "/{" + id + ":int}", n++);
    r.add("DELETE", base + "/{" + id + ":int}", n++);
  };
  r.add("GET", "/api/", n++);
  r.add("GET", "/api/openapi.json", n++);
  r.add("GET", "/healthz", n++);
  r.add("GET", "/readyz", n++);
  r.add("GET", "/metrics", n++);
  r.add("POST", "/api/auth/login", n++);
  r.add("POST", "/api/auth/logout", n++);
  r.add("GET", "/api/me", n++);
  crud("/api/members", "user_id");
  crud("/api/products", "id");
  r.add("GET", "/api/products/search", n++);
  r.add("POST", "/api/products/{id:int}/stock", n++);
  crud("/api/customers", "id");
  crud("/api/tickets", "id");
  r.add("POST", "/api/tickets/{id:int}/transition", n++);
  r.add("GET", "/api/tickets/{id:int}/notes", n++);
  r.add("POST", "/api/tickets/{id:int}/notes", n++);
  r.add("GET", "/api/tickets/{id:int}/parts", n++);
  r.add("POST", "/api/tickets/{ticket_id:int}/parts/{part_id:int}", n++);
  r.add("GET", "/api/reports/{kind}", n++);
  return r;
}

void BM_RouterMatch(benchmark::State& state, const char* method, const char* path) {
  const auto router = techstore_router();
  for (auto _ : state) {
    auto m = router.match(method, path);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK_CAPTURE(BM_RouterMatch, product_by_id, "GET", "/api/products/123456");
BENCHMARK_CAPTURE(BM_RouterMatch, product_list, "GET", "/api/products");
BENCHMARK_CAPTURE(BM_RouterMatch, ticket_part, "POST", "/api/tickets/42/parts/7");
BENCHMARK_CAPTURE(BM_RouterMatch, not_found, "GET", "/api/nothing/here");
BENCHMARK_CAPTURE(BM_RouterMatch, method_not_allowed, "PUT", "/api/products/1");

// The tenant route table the server really builds (whatever apps are installed in this binary).
void BM_RouterMatchInstalledApps(benchmark::State& state) {
  static const Config config;
  static const migrations::MigrationPlan plan(apps::installed(), migrations::Scope::kTenant);
  static const web::Routes routes = apps::all_routes(config, plan);
  std::size_t found = 0;
  for (auto _ : state) {
    auto m = routes.tenant_routes.match("GET", "/api/products/123");
    found += m.index() == 1;
    benchmark::DoNotOptimize(m);
  }
  state.counters["routes"] = static_cast<double>(routes.tenant_routes.routes().size());
  state.counters["found"] = found > 0 ? 1 : 0;
}
BENCHMARK(BM_RouterMatchInstalledApps);

// ---------------------------------------------------------------------------------------------------------------
// Tenant resolver over 10,000 tenants.

constexpr int kTenants = 10'000;

struct ResolverFixture {
  std::unique_ptr<db::EmbeddedCluster> cluster;
  fs::path dir;
  bool remove_dir = false;
  std::unique_ptr<tenancy::TenantDirectory> directory;
  Config config;
  std::unique_ptr<tenancy::TenantResolver> resolver;
  std::string error;

  ResolverFixture() {
    try {
      std::string conninfo;
      if (const char* url = std::getenv("TENANTRY_BENCH_DATABASE_URL"); url && *url) {
        conninfo = url;
      } else {
        if (const char* d = std::getenv("TENANTRY_BENCH_VAR_DIR"); d && *d) {
          dir = d;
        } else {
          char tmpl[] = "/tmp/tenantry-micro-XXXXXX";
          if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
          dir = tmpl;
          remove_dir = true;
        }
        fs::create_directories(dir);
        // Searchable by the postgres system user when running as root.
        fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        cluster = std::make_unique<db::EmbeddedCluster>(
            db::EmbeddedClusterOptions{.dir = dir / "var", .ephemeral = true, .database = "micro"});
        cluster->start();
        conninfo = cluster->conninfo();
      }
      boost::asio::io_context io;
      db::Pool pool(io, db::PoolConfig{.connect = {.conninfo = conninfo}});
      directory = std::make_unique<tenancy::TenantDirectory>(db::ConnectOptions{.conninfo = conninfo});
      run_blocking(io, [](db::Pool& pool, tenancy::TenantDirectory& dir) -> Task<void> {
        static const std::array<const migrations::App*, 1> apps{&tenancy::app()};
        migrations::MigrationRunner runner(pool, apps);
        co_await runner.migrate_shared();
        db::Session db(pool);
        // Catalog rows only: the resolver never looks at the schemas themselves.
        co_await db.query(
            "INSERT INTO tenants (schema_name, name, state, plan) SELECT 'store' || g, 'Store ' || g, "
            "'active', "
            "'free' FROM generate_series(1, $1::int) g ON CONFLICT (schema_name) DO NOTHING",
            kTenants);
        co_await db.query(
            "INSERT INTO domains (domain, tenant_id, is_primary) SELECT schema_name || '.example.com', id, "
            "true "
            "FROM tenants WHERE id <= $1::int / 2 ON CONFLICT (domain) DO NOTHING",
            kTenants);
        co_await dir.load(pool);
      }(pool, *directory));
      pool.close();
      resolver = std::make_unique<tenancy::TenantResolver>(config.tenancy, *directory);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  ~ResolverFixture() {
    resolver.reset();
    if (cluster) {
      try {
        cluster->stop_unconditionally();
      } catch (...) {
      }
    }
    std::error_code ec;
    if (remove_dir) fs::remove_all(dir, ec);
  }
};

ResolverFixture& resolver_fixture() {
  static ResolverFixture f;
  return f;
}

/// 4,096 hosts from `format` with '#' replaced by a random tenant number in [from, to].
std::vector<std::string> hosts(const char* format, int from, int to) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(from, to);
  std::vector<std::string> out;
  for (int i = 0; i < 4096; ++i) {
    std::string h = format;
    h.replace(h.find('#'), 1, std::to_string(pick(rng)));
    out.push_back(h);
  }
  return out;
}

void BM_Resolve(benchmark::State& state, const char* format, int from, int to, bool expect_tenant) {
  auto& f = resolver_fixture();
  if (!f.resolver) {
    state.SkipWithError(("no catalog: " + f.error).c_str());
    return;
  }
  const auto all = hosts(format, from, to);
  std::size_t i = 0, tenants = 0;
  for (auto _ : state) {
    auto r = f.resolver->resolve(all[i++ & 4095], std::nullopt, "/api/products/1", "127.0.0.1");
    tenants += r.kind == tenancy::Resolution::Kind::kTenant;
    benchmark::DoNotOptimize(r);
  }
  state.counters["tenants_in_directory"] = static_cast<double>(f.directory->snapshot()->by_schema.size());
  if ((tenants > 0) != expect_tenant) state.SkipWithError("unexpected resolution");
}
// Tenants 1-5,000 have a domain (host resolver); the others are reached as {schema}.localhost (subdomain
// resolver, tried after the host resolver).
BENCHMARK_CAPTURE(BM_Resolve, domain_10k, "store#.example.com", 1, kTenants / 2, true);
BENCHMARK_CAPTURE(BM_Resolve, subdomain_10k, "store#.localhost:8080", kTenants / 2 + 1, kTenants, true);
BENCHMARK_CAPTURE(BM_Resolve, unknown_host_10k, "nobody#.example.org", 1, kTenants, false);

// ---------------------------------------------------------------------------------------------------------------
// JSON: one page of 20 products, shaped like the list endpoint (DRF-style page with count/next/previous).

boost::json::object product(std::int64_t id) {
  return {{"id", id},
          {"sku", "SKU-" + std::to_string(id)},
          {"name", "Product " + std::to_string(id)},
          {"description", "Bench product number " + std::to_string(id)},
          {"category", "category-" + std::to_string(id % 10)},
          {"price_cents", 100 + (id * 7919) % 100000},
          {"stock", id % 50},
          {"created_at", "2025-01-01T12:00:00.000000+00:00"},
          {"updated_at", "2025-01-01T12:00:00.000000+00:00"}};
}

void BM_ProductPageJson(benchmark::State& state) {
  http::Request req;
  req.set_target("/api/products?limit=20");
  req.add_header("Host", "store1.localhost:8080");
  const web::Page page{.limit = 20, .offset = 0};
  std::size_t bytes = 0;
  for (auto _ : state) {
    // As a handler does it: build the values from the rows, then serialize the page.
    boost::json::array results;
    results.reserve(20);
    for (std::int64_t id = 1; id <= 20; ++id) results.push_back(product(id));
    auto res = page.response(req, 1000, std::move(results));
    bytes = res.body.size();
    benchmark::DoNotOptimize(res);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ProductPageJson);

void BM_ProductJson(benchmark::State& state) {
  for (auto _ : state) {
    auto res = http::Response::json(200, product(123));
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_ProductJson);

// ---------------------------------------------------------------------------------------------------------------
// HTTP: raw bytes → Beast parser → tenantry::http::Request (the server's per-request steps without sockets),
// and the response head serialization.

constexpr std::string_view kGetRequest =
    "GET /api/products/123 HTTP/1.1\r\n"
    "Host: store17.localhost:8080\r\n"
    "User-Agent: wrk\r\n"
    "Accept: application/json\r\n"
    "Authorization: Bearer "
    "tt1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBB"
    "BBBBBBBBBBBBBBBBBBBBBBB\r\n"
    "\r\n";

constexpr std::string_view kPostRequest =
    "POST /api/products HTTP/1.1\r\n"
    "Host: store17.localhost:8080\r\n"
    "User-Agent: wrk\r\n"
    "Content-Type: application/json\r\n"
    "Authorization: Bearer "
    "tt1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBB"
    "BBBBBBBBBBBBBBBBBBBBBBB\r\n"
    "Content-Length: 74\r\n"
    "\r\n"
    R"({"sku":"w3-0000000001","name":"Bench product","price_cents":1999,"stock":5})";

void BM_HttpParse(benchmark::State& state, std::string_view raw) {
  namespace bhttp = boost::beast::http;
  http::Request req;
  for (auto _ : state) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
    if (ec || !parser.is_done()) {
      state.SkipWithError(("parse failed: " + ec.message()).c_str());
      break;
    }
    auto& msg = parser.get();
    req.clear();
    req.method.assign(msg.method_string());
    req.version = msg.version() == 10 ? 10 : 11;
    for (const auto& field : msg) req.add_header(field.name_string(), field.value());
    req.body = std::move(msg.body());
    http::wire::generate_request_id(req.request_id);
    bool ok = http::wire::valid_host(msg[bhttp::field::host]) && req.set_target(msg.target());
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(req);
  }
}
BENCHMARK_CAPTURE(BM_HttpParse, get_product, kGetRequest);
BENCHMARK_CAPTURE(BM_HttpParse, post_product, kPostRequest);

void BM_HttpResponseHead(benchmark::State& state) {
  http::Response res = http::Response::json(200, product(123));
  std::string head;
  for (auto _ : state) {
    head.clear();
    http::wire::append_head(head, res, "0123456789abcdef", http::wire::ConnectionHeader::none);
    benchmark::DoNotOptimize(head);
  }
}
BENCHMARK(BM_HttpResponseHead);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

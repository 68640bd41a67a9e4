// tenantry_bench: provisions the benchmark's tenants and times provisioning (P1) and fleet migrations
// (M1).
//
//   tenantry_bench provision --conninfo C --tenants N --products M --tokens FILE [--prefix store]
//   [--jobs J] tenantry_bench p1 --conninfo C [--count 50] tenantry_bench m1 --conninfo C [--jobs
//   J]
//
// Everything goes through the project's own code: MigrationRunner, TenantProvisioner (the full TechStore
// tenant app set), AuthService. Products are bulk-inserted with generate_series. p1 and m1 print one JSON
// object.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "apps/accounts/accounts_app.hpp"
#include "apps/registry.hpp"
#include "bench/bench_report.hpp"
#include "tenantry/auth/auth_service.hpp"
#include "tenantry/core/concurrency.hpp"
#include "tenantry/core/config.hpp"
#include "tenantry/core/run_blocking.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"

namespace {

using namespace tenantry;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Args {
  std::string command, conninfo, tokens, prefix = "store", dir, out;
  std::size_t tenants = 100, products = 1000, jobs = 4, count = 50;
};

[[noreturn]] void usage() {
  std::cerr << "usage: tenantry_bench provision|p1|m1 --conninfo C [--tenants N] [--products M] "
               "[--tokens FILE] [--prefix P] [--jobs J] [--count K]\n"
               "       tenantry_bench report --dir WORKDIR [--out FILE.json]\n";
  std::exit(2);
}

Args parse(int argc, char** argv) {
  if (argc < 2) usage();
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage();
    const std::string value = argv[++i];
    if (key == "--conninfo")
      a.conninfo = value;
    else if (key == "--tokens")
      a.tokens = value;
    else if (key == "--prefix")
      a.prefix = value;
    else if (key == "--dir")
      a.dir = value;
    else if (key == "--out")
      a.out = value;
    else if (key == "--tenants")
      a.tenants = std::stoul(value);
    else if (key == "--products")
      a.products = std::stoul(value);
    else if (key == "--jobs")
      a.jobs = std::max<std::size_t>(1, std::stoul(value));
    else if (key == "--count")
      a.count = std::stoul(value);
    else
      usage();
  }
  if (a.conninfo.empty() && a.command != "report") usage();
  return a;
}

const migrations::MigrationPlan& tenant_plan() {
  static const migrations::MigrationPlan plan(apps::installed(), migrations::Scope::kTenant);
  return plan;
}

tenancy::NewTenant new_tenant(const std::string& slug) {
  // "enterprise": no plan limit on products, so W3 and L0-insert can insert without bound.
  tenancy::NewTenant t{db::SchemaName(slug), "Bench " + slug, {}, "enterprise"};
  t.domains.emplace_back(slug + ".localhost");
  return t;
}

Task<void> migrate_all(db::Pool& pool, std::size_t jobs) {
  migrations::MigrationRunner runner(pool, apps::installed());
  auto shared = co_await runner.migrate_shared();
  if (shared.kind == migrations::SchemaOutcome::Kind::kFailed) throw std::runtime_error(shared.error);
  auto fleet = co_await runner.migrate_tenants({.jobs = jobs});
  if (!fleet.ok()) throw std::runtime_error("some tenant schemas failed to migrate");
}

Task<void> provision(db::Pool& pool, const Args& a) {
  const auto start = Clock::now();
  co_await migrate_all(pool, a.jobs);

  std::map<std::string, std::int64_t> existing;
  for (const auto& t : co_await tenancy::TenantCatalog(pool).list())
    if (t.state == tenancy::TenantState::kActive) existing.emplace(t.schema.str(), t.id.value);

  std::vector<std::string> missing;
  for (std::size_t i = 1; i <= a.tenants; ++i) {
    std::string slug = a.prefix + std::to_string(i);
    if (!existing.contains(slug)) missing.push_back(std::move(slug));
  }
  std::cerr << "setup: " << existing.size() << " tenant(s) already there, creating " << missing.size()
            << " with " << a.products << " product(s) each (" << a.jobs << " at a time)\n";

  tenancy::TenantProvisioner provisioner(pool, tenant_plan());
  std::size_t next = 0, done = 0;
  const std::string products_sql =
      "INSERT INTO products (sku, name, description, category, price_cents, stock) "
      "SELECT 'SKU-' || g, 'Product ' || g, 'Bench product number ' || g, 'category-' || (g % 10), "
      "100 + (g * 7919) % 100000, g % 50 FROM generate_series(1, $1::bigint) g";
  co_await run_concurrently(a.jobs, [&](std::size_t) -> Task<void> {
    while (next < missing.size()) {
      const std::string& slug = missing[next++];  // `missing` outlives every worker
      const auto tenant = co_await provisioner.create(new_tenant(slug));
      if (a.products > 0) {
        const db::Session session(pool, tenant.schema);
        co_await session.query(products_sql, static_cast<std::int64_t>(a.products));
      }
      existing.emplace(slug, tenant.id.value);
      if (++done % 500 == 0) std::cerr << "setup: " << done << "/" << missing.size() << " created\n";
    }
  });
  const double create_ms = ms_since(start);

  // One user, staff in every store, with a signed token per store (prepared beforehand: auth stays on).
  Config config;
  auth::AuthService auth(config);
  co_await auth.load(pool);
  db::Session db(pool);
  const auto user = co_await apps::accounts::ensure_user(db, auth, "bench@bench.test", "bench-password-1234",
                                                         "Benchmark user");
  co_await db.query(
      "INSERT INTO memberships (user_id, tenant_id, role) SELECT $1, id, 'staff' FROM tenants "
      "WHERE state = 'active' ON CONFLICT (user_id, tenant_id) DO NOTHING",
      user);

  // The highest product id of each store: W1 and L0 pick ids in 1..max.
  std::map<std::string, std::int64_t> max_id;
  for (std::size_t i = 1; i <= a.tenants; ++i) max_id[a.prefix + std::to_string(i)] = a.products;
  std::ofstream out(a.tokens, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + a.tokens);
  for (std::size_t i = 1; i <= a.tenants; ++i) {
    const std::string slug = a.prefix + std::to_string(i);
    const auto token = auth.issue(auth::UserId{user}, existing.at(slug), auth::Role::kStaff);
    out << slug << ' ' << max_id[slug] << ' ' << token.token << '\n';
  }
  out.close();
  std::cerr << "setup: " << a.tenants << " tenant(s) ready in " << static_cast<long>(create_ms)
            << " ms; tokens (staff role, one per tenant) in " << a.tokens << "\n";
  boost::json::object summary{{"tenants", a.tenants},
                              {"created", missing.size()},
                              {"products_per_tenant", a.products},
                              {"setup_ms", create_ms}};
  std::cout << boost::json::serialize(summary) << "\n";
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  // Nearest-rank.
  std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

Task<void> p1(db::Pool& pool, const Args& a) {
  co_await migrate_all(pool, a.jobs);
  // Two series: the normal path, where the pool of ready-made schemas has a spare (refilled untimed between
  // creates, as the server's background refill does), and the fallback that replays every migration.
  tenancy::TenantProvisioner provisioner(pool, tenant_plan());
  tenancy::TenantProvisioner full_path(pool, tenant_plan(), false);
  std::vector<double> times, full_times;
  const auto suffix = std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
  std::vector<std::string> created;
  for (std::size_t i = 0; i < a.count; ++i) {
    const std::string slug = "p1t" + suffix + "n" + std::to_string(i);
    co_await provisioner.refill_spares(1);
    const auto start = Clock::now();
    co_await provisioner.create(new_tenant(slug));
    times.push_back(ms_since(start));
    created.push_back(slug);
    const std::string full_slug = "p1f" + suffix + "n" + std::to_string(i);
    const auto full_start = Clock::now();
    co_await full_path.create(new_tenant(full_slug));
    full_times.push_back(ms_since(full_start));
    created.push_back(full_slug);
  }
  // Leave the fleet as it was, so M1 and later runs see N tenants.
  for (const auto& slug : created) co_await provisioner.drop(db::SchemaName(slug));
  boost::json::array all;
  for (double t : times) all.push_back(t);
  boost::json::object out{{"count", times.size()},
                          {"median_ms", percentile(times, 50)},
                          {"p99_ms", percentile(times, 99)},
                          {"max_ms", percentile(times, 100)},
                          {"full_path_median_ms", percentile(full_times, 50)},
                          {"full_path_p99_ms", percentile(full_times, 99)},
                          {"tenant_migrations", tenant_plan().migrations().size()},
                          {"times_ms", std::move(all)}};
  std::cout << boost::json::serialize(out) << "\n";
}

// M1's extra migration: a nullable column and an index on products, as a new app after the installed ones.
constexpr std::array<migrations::MigrationSource, 1> kBenchMigrations{
    {{"bench_m1", "0001_products_note",
      "ALTER TABLE products ADD COLUMN bench_note text;\n"
      "CREATE INDEX products_bench_note ON products (bench_note);\n"}}};
const migrations::App kBenchApp{"bench_m1", {}, kBenchMigrations};

Task<void> m1(db::Pool& pool, const Args& a) {
  // Before: a migrate run with the installed apps when everything is current (like `tenantry migrate`).
  migrations::MigrationRunner installed(pool, apps::installed());
  auto t0 = Clock::now();
  co_await installed.migrate_shared();
  auto before = co_await installed.migrate_tenants({.jobs = a.jobs});
  const double current_before_ms = ms_since(t0);

  std::vector<const migrations::App*> apps(apps::installed().begin(), apps::installed().end());
  apps.push_back(&kBenchApp);
  migrations::MigrationRunner runner(pool, apps);
  t0 = Clock::now();
  auto shared = co_await runner.migrate_shared();
  auto report = co_await runner.migrate_tenants({.jobs = a.jobs});
  const double apply_ms = ms_since(t0);
  if (shared.kind == migrations::SchemaOutcome::Kind::kFailed || !report.ok())
    throw std::runtime_error("M1 migration failed");

  t0 = Clock::now();
  co_await runner.migrate_shared();
  auto again = co_await runner.migrate_tenants({.jobs = a.jobs});
  const double current_after_ms = ms_since(t0);

  boost::json::object out{{"jobs", a.jobs},
                          {"tenants_migrated", report.count(migrations::SchemaOutcome::Kind::kMigrated)},
                          {"apply_ms", apply_ms},
                          {"current_before_ms", current_before_ms},
                          {"current_before_schemas_checked", before.outcomes.size()},
                          {"current_after_ms", current_after_ms},
                          {"current_after_schemas_checked", again.outcomes.size()}};
  std::cout << boost::json::serialize(out) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  if (a.command == "report") {
    try {
      return tenantry::bench::report(a.dir, a.out);
    } catch (const std::exception& e) {
      std::cerr << "tenantry_bench report: " << e.what() << "\n";
      return 1;
    }
  }
  try {
    boost::asio::io_context io;
    db::PoolConfig pc;
    pc.connect.conninfo = a.conninfo;
    pc.connect.application_name = "tenantry-bench-setup";
    pc.max_size = a.jobs + 2;
    pc.acquire_timeout = std::chrono::milliseconds(120'000);
    db::Pool pool(io, pc);
    if (a.command == "provision") {
      if (a.tokens.empty()) usage();
      run_blocking(io, provision(pool, a));
    } else if (a.command == "p1") {
      run_blocking(io, p1(pool, a));
    } else if (a.command == "m1") {
      run_blocking(io, m1(pool, a));
    } else {
      usage();
    }
    pool.close();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tenantry_bench: " << e.what() << "\n";
    return 1;
  }
}

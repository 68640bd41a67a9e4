// The tenant lifecycle as clients see it: readiness with a tenant behind its migrations, and a tenant dropped
// (by the CLI, another process) while it is under load.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "eventually.hpp"
#include "serve_process.hpp"
#include "tenant_test_case.hpp"

namespace tenantry::testing {
namespace {

using namespace std::chrono_literals;

class LifecycleHttpTest : public TenantTestCase {
 protected:
  /// Runs `tenantry <args>` on this test's database; its exit code (its output into `output`).
  int tenantry(std::vector<std::string> args, std::string* output = nullptr) {
    const auto outcome = run_to_completion({.binary = TENANTRY_BINARY,
                                            .conninfo = database().conninfo(),
                                            .listen = {},
                                            .args = std::move(args)});
    if (output) *output = outcome.output;
    return outcome.exit_code;
  }
};

// One tenant behind its migrations answers its own 503 tenant-migrating; the instance stays ready (200) and
// /readyz names it; `tenantry migrate` brings it back.
TEST_F(LifecycleHttpTest, ATenantBehindIsItsOwn503AndReadinessStays200) {
  EXPECT_EQ(get("/api/products").status, 200);
  token("owner", kOtherStore);  // before: a tenant behind answers nothing else, logins included
  const auto ready = request("GET", "/readyz", {"Host: localhost"});
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(str(json(ready)["tenants_migrating"].as_object()["count"]), "0") << ready.body;

  sql("UPDATE public.tenants SET migrations_digest = 'from-an-older-release' WHERE schema_name = 'other'",
      "");
  EXPECT_TRUE(eventually([&] { return get("/api/products", "owner", kOtherStore).status == 503; }, 5s));
  const auto behind = get("/api/products", "owner", kOtherStore);
  EXPECT_TRUE(str(json(behind)["type"]).ends_with("/tenant-migrating")) << behind.body;
  EXPECT_EQ(behind.header("retry-after"), "5");
  EXPECT_EQ(get("/api/products").status, 200);  // the other tenants are served

  const auto listed = request("GET", "/readyz", {"Host: localhost"});
  EXPECT_EQ(listed.status, 200) << listed.body;
  auto migrating = json(listed)["tenants_migrating"].as_object();
  EXPECT_EQ(str(migrating["count"]), "1") << listed.body;
  EXPECT_EQ(boost::json::serialize(migrating["tenants"]), R"(["other"])") << listed.body;
  EXPECT_EQ(str(json(listed)["checks"].as_object()["shared_migrations"]), "current");
  // On a tenant's host the count only: a store does not learn the names of the others.
  const auto on_tenant = request("GET", "/readyz", {"Host: " + host()});
  EXPECT_EQ(on_tenant.status, 200);
  EXPECT_FALSE(json(on_tenant)["tenants_migrating"].as_object().contains("tenants")) << on_tenant.body;

  std::string output;
  EXPECT_EQ(tenantry({"migrate"}, &output), 0) << output;
  EXPECT_TRUE(eventually([&] { return get("/api/products", "owner", kOtherStore).status == 200; }, 5s));
  EXPECT_EQ(
      str(json(request("GET", "/readyz", {"Host: localhost"}))["tenants_migrating"].as_object()["count"]),
      "0");
}

// A store dropped by `tenantry tenant drop` while clients hammer it: it is out of service (404) on the
// server before its schema goes, and every answer is a 200, a 404 (gone) or a 503 (going); none is a 500 and
// no connection fails.
TEST_F(LifecycleHttpTest, DroppingATenantUnderLoadGivesNo500) {
  const std::string owner = token("owner", kOtherStore);
  EXPECT_EQ(get("/api/products", "owner", kOtherStore).status, 200);
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::map<int, int> statuses;
  std::string first_bad;
  int connection_errors = 0;
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&] {
      HttpClient client(port());
      while (!stop) {
        int status = 0;
        std::string body;
        try {
          auto r = client.request("GET", "/api/products?limit=5",
                                  {"Host: " + host(kOtherStore), "Authorization: Bearer " + owner});
          status = r.status;
          body = r.body;
        } catch (const std::exception&) {
          status = -1;
        }
        std::lock_guard lock(mutex);
        if (status < 0) {
          ++connection_errors;
          return;
        }
        ++statuses[status];
        if (status >= 500 && status != 503 && first_bad.empty()) first_bad = body;
      }
    });
  std::this_thread::sleep_for(200ms);
  std::string output;
  int dropped = -1;
  std::thread drop([&] { dropped = tenantry({"tenant", "drop", "other", "--yes"}, &output); });
  // Out of service everywhere before its schema goes: the first 404 comes while the schema still exists.
  EXPECT_TRUE(
      eventually([&] { return get("/api/products?limit=1", "owner", kOtherStore).status == 404; }, 5s));
  EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'other'", ""), "1");
  drop.join();
  std::this_thread::sleep_for(300ms);  // requests after the drop, too
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(dropped, 0) << output;
  EXPECT_EQ(connection_errors, 0);
  int bad = 0;
  std::string summary;
  for (const auto& [status, n] : statuses) {
    summary += std::to_string(status) + "x" + std::to_string(n) + " ";
    if (status != 200 && status != 404 && status != 503) bad += n;
  }
  EXPECT_EQ(bad, 0) << summary << first_bad;
  EXPECT_GT(statuses[200], 0) << summary;
  EXPECT_GT(statuses[404], 0) << summary;  // out of service before its schema went
  EXPECT_EQ(get("/api/products", "owner", kOtherStore).status, 404);
  EXPECT_EQ(get("/api/products").status, 200);
  EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'other'", ""), "0");
}

}  // namespace
}  // namespace tenantry::testing

// The platform admin API over HTTP, its audit log, and /metrics.
#include <regex>
#include <sstream>
#include <thread>

#include "tenant_test_case.hpp"

namespace tenantry::apps::admin {
namespace {

using testing::json;

class AdminTest : public testing::TenantTestCase {
 protected:
  /// The audit entries for an action, newest first.
  boost::json::array audit(const std::string& action) {
    auto r = admin("GET", "/admin/api/audit?action=" + action);
    EXPECT_EQ(r.status, 200) << r.body;
    return json(r)["results"].as_array();
  }
};

TEST_F(AdminTest, OnlyPlatformAdminsGetIn) {
  EXPECT_EQ(request("GET", "/admin/api/tenants", {"Host: localhost"}).status, 401);
  auto store_owner = request("POST", "/admin/api/auth/login", {"Host: localhost"},
                             R"({"email": "owner@store.test", "password": "password-123"})");
  EXPECT_EQ(store_owner.status, 403);
  auto wrong = request("POST", "/admin/api/auth/login", {"Host: localhost"},
                       R"({"email": "root@platform.test", "password": "nope nope nope"})");
  EXPECT_EQ(wrong.status, 401);
  // A store token is no admin token.
  EXPECT_EQ(
      request("GET", "/admin/api/tenants", {"Host: localhost", "Authorization: Bearer " + token("owner")})
          .status,
      401);
  EXPECT_EQ(admin("GET", "/admin/api/tenants").status, 200);
}

TEST_F(AdminTest, ListsSearchesAndFiltersTenants) {
  auto all = json(admin("GET", "/admin/api/tenants"));
  EXPECT_EQ(all["count"], 2);
  auto by_domain = json(admin("GET", "/admin/api/tenants?q=other.local"));
  ASSERT_EQ(by_domain["count"], 1);
  EXPECT_EQ(by_domain["results"].at(0).at("slug"), "other");
  EXPECT_EQ(json(admin("GET", "/admin/api/tenants?state=suspended"))["count"], 0);
  EXPECT_EQ(json(admin("GET", "/admin/api/tenants?plan=free&limit=1"))["next"].is_string(), true);
}

TEST_F(AdminTest, CreatesTenantsWithFieldErrorsAndAudit) {
  auto bad = admin("POST", "/admin/api/tenants", R"({"slug": "Bad Slug", "name": "", "plan": "gold"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json(bad)["errors"].as_array().size(), 3u);
  auto created = admin("POST", "/admin/api/tenants", R"({"slug": "fresh", "name": "Fresh", "plan": "pro"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json(created)["domains"].at(0).at("domain"), "fresh.localhost");
  EXPECT_EQ(request("GET", "/api/", {"Host: fresh.localhost"}).status, 200);
  EXPECT_EQ(admin("POST", "/admin/api/tenants", R"({"slug": "fresh", "name": "Again"})").status, 409);
  auto entries = audit("tenant.create");  // not the one its declaration refused (400)
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.at(0).at("outcome"), "error");  // the conflict
  EXPECT_EQ(entries.at(1).at("outcome"), "ok");
  EXPECT_EQ(entries.at(1).at("tenant"), "fresh");
  EXPECT_EQ(entries.at(1).at("actor"), "root@platform.test");
}

TEST_F(AdminTest, SuspendResumeArchiveAndDropWithConfirmation) {
  EXPECT_EQ(admin("POST", "/admin/api/tenants/store/suspend", R"({"reason": "unpaid"})").status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: store.localhost"}).status, 403);
  EXPECT_EQ(admin("POST", "/admin/api/tenants/store/resume").status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: store.localhost"}).status, 200);
  EXPECT_EQ(admin("POST", "/admin/api/tenants/store/archive").status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: store.localhost"}).status, 404);
  EXPECT_EQ(admin("POST", "/admin/api/tenants/nobody/suspend").status, 404);
  EXPECT_EQ(admin("DELETE", "/admin/api/tenants/other", "{}").status, 400);
  EXPECT_EQ(admin("DELETE", "/admin/api/tenants/other", R"({"confirm": "store"})").status, 400);
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name = 'other'", ""), "1");
  EXPECT_EQ(admin("DELETE", "/admin/api/tenants/other", R"({"confirm": "other"})").status, 204);
  EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'other'", ""), "0");
  for (const char* action : {"tenant.resume", "tenant.archive"})
    EXPECT_EQ(audit(action).size(), 1u) << action;
  auto suspends = audit("tenant.suspend");  // the one for "nobody" failed, and is audited too
  ASSERT_EQ(suspends.size(), 2u);
  EXPECT_EQ(suspends.at(0).at("outcome"), "error");
  EXPECT_EQ(suspends.at(1).at("detail").at("reason"), "unpaid");
  auto drops = audit("tenant.drop");  // not the one without a confirmation, refused by the declaration
  ASSERT_EQ(drops.size(), 2u);
  EXPECT_EQ(drops.at(0).at("outcome"), "ok");
  EXPECT_EQ(drops.at(1).at("outcome"), "error");
}

TEST_F(AdminTest, MaintenanceAnswers503WithRetryAfterAndLetsPlatformAdminsThrough) {
  token("owner");  // logged in before the window opens: the login is the store's API too
  EXPECT_EQ(admin("PUT", "/admin/api/tenants/store/maintenance", R"({"retry_after": 0})").status, 400);
  auto on = admin("PUT", "/admin/api/tenants/store/maintenance",
                  R"({"retry_after": 120, "message": "Moving to a bigger server."})");
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(json(on)["maintenance"].at("retry_after"), 120);
  EXPECT_EQ(json(on)["state"], "active");
  auto refused = get("/api/products");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.header("retry-after"), "120");
  EXPECT_NE(testing::str(json(refused)["type"]).find("tenant-maintenance"), std::string::npos)
      << refused.body;
  EXPECT_EQ(json(refused)["detail"], "Moving to a bigger server.");
  EXPECT_EQ(request("GET", "/api/", {"Host: store.localhost"}).status, 503);  // anonymous too
  EXPECT_EQ(get("/api/products", "owner", "other").status, 200);              // the other store serves
  EXPECT_EQ(
      request("GET", "/api/", {"Host: store.localhost", "Authorization: Bearer " + admin_token()}).status,
      200);
  // Sent again: the message changes, the window keeps its start.
  const auto since = json(on)["maintenance"].at("since");
  auto changed = admin("PUT", "/admin/api/tenants/store/maintenance", "{}");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(json(changed)["maintenance"].at("since"), since);
  EXPECT_EQ(json(changed)["maintenance"].at("retry_after"), 300);
  EXPECT_FALSE(json(changed)["maintenance"].as_object().contains("message"));
  EXPECT_EQ(
      json(admin("GET", "/admin/api/tenants?q=store"))["results"].at(0).at("maintenance").at("retry_after"),
      300);
  // Only an active tenant serves, so only an active one is put in maintenance.
  ASSERT_EQ(admin("POST", "/admin/api/tenants/other/suspend").status, 200);
  EXPECT_EQ(admin("PUT", "/admin/api/tenants/other/maintenance").status, 409);
  auto off = admin("DELETE", "/admin/api/tenants/store/maintenance");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(json(off).contains("maintenance"));
  EXPECT_EQ(get("/api/products").status, 200);
  auto starts = audit("tenant.maintenance.start");  // not the one its declaration refused (400)
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_EQ(starts.at(0).at("outcome"), "error");  // the suspended tenant
  EXPECT_EQ(starts.at(2).at("detail").at("message"), "Moving to a bigger server.");
  EXPECT_EQ(audit("tenant.maintenance.end").size(), 1u);
}

TEST_F(AdminTest, UpdatesNameAndPlanAndShowsDetail) {
  EXPECT_EQ(admin("PATCH", "/admin/api/tenants/store", R"({"plan": "nope"})").status, 400);
  auto updated = admin("PATCH", "/admin/api/tenants/store", R"({"name": "Renamed", "plan": "pro"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  get("/api/me");  // one request for the counters
  auto detail = json(admin("GET", "/admin/api/tenants/store"));
  EXPECT_EQ(detail["name"], "Renamed");
  EXPECT_EQ(detail["plan"], "pro");
  EXPECT_EQ(detail["member_count"], 5);
  EXPECT_GT(detail["schema_size_bytes"].as_int64(), 0);
  EXPECT_TRUE(detail["migrations"].at("pending").as_array().empty());
  EXPECT_GE(detail["requests"].at("total").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(detail["requests"].at("per_minute_last_hour").as_array().size(), 60u);
  EXPECT_EQ(audit("tenant.update").size(), 1u);  // the unknown plan was refused before it ran
  EXPECT_EQ(admin("GET", "/admin/api/tenants/nobody").status, 404);
}

TEST_F(AdminTest, ManagesDomains) {
  EXPECT_EQ(admin("POST", "/admin/api/tenants/store/domains", R"({"domain": "bad domain"})").status, 400);
  EXPECT_EQ(admin("POST", "/admin/api/tenants/store/domains", R"({"domain": "Shop.Example.com"})").status,
            200);
  EXPECT_EQ(request("GET", "/api/", {"Host: shop.example.com"}).status, 200);
  EXPECT_EQ(admin("POST", "/admin/api/tenants/other/domains", R"({"domain": "shop.example.com"})").status,
            409);
  auto primary = admin("POST", "/admin/api/tenants/store/domains/shop.example.com/primary");
  ASSERT_EQ(primary.status, 200);
  EXPECT_EQ(json(primary)["domains"].at(0).at("domain"), "shop.example.com");
  EXPECT_EQ(admin("POST", "/admin/api/tenants/other/domains/shop.example.com/primary").status, 404);
  EXPECT_EQ(admin("DELETE", "/admin/api/tenants/store/domains/shop.example.com").status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: shop.example.com"}).status, 404);
  EXPECT_EQ(audit("domain.add").size(), 2u);  // the invalid domain was refused before it ran
  EXPECT_EQ(audit("domain.set_primary").size(), 2u);
  EXPECT_EQ(audit("domain.remove").size(), 1u);
}

TEST_F(AdminTest, MigrationStatusAndAFleetRunReportingProgress) {
  auto status = json(admin("GET", "/admin/api/migrations"));
  EXPECT_EQ(status["schemas"].as_array().size(), 3u);  // public + 2 stores
  sql("UPDATE tenants SET migrations_digest = NULL", "");
  auto started = admin("POST", "/admin/api/migrations/runs");
  ASSERT_EQ(started.status, 202);
  const auto id = json(started)["id"].as_int64();
  boost::json::object run;
  for (int i = 0; i < 100; ++i) {
    run = json(admin("GET", "/admin/api/migrations/runs/" + std::to_string(id)));
    if (run["finished"].as_bool()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(run["finished"].as_bool());
  EXPECT_EQ(run["total"], 2);
  EXPECT_EQ(run["done"], 2);
  EXPECT_EQ(run["current"], 2);
  EXPECT_EQ(run["results"].as_array().size(), 2u);
  EXPECT_EQ(admin("GET", "/admin/api/migrations/runs/999").status, 404);
  EXPECT_EQ(audit("migrations.run").size(), 1u);
}

TEST_F(AdminTest, AuditCanBeFilteredByTenantAndOutcome) {
  admin("POST", "/admin/api/tenants/store/suspend");
  admin("POST", "/admin/api/tenants/other/suspend");
  admin("POST", "/admin/api/tenants/nobody/suspend");
  auto by_tenant = json(admin("GET", "/admin/api/audit?tenant=other"));
  EXPECT_EQ(by_tenant["count"], 1);
  auto failures = json(admin("GET", "/admin/api/audit?outcome=error"));
  EXPECT_EQ(failures["count"], 1);
}

// /metrics parsed and checked against the requests made.
TEST_F(AdminTest, MetricsCountTheRequestsMade) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("/api/me", "owner").status, 200);
  EXPECT_EQ(get("/api/me", "owner", kOtherStore).status, 200);
  EXPECT_EQ(get("/api/nothing", "owner").status, 404);
  auto r = metrics();
  ASSERT_EQ(r.status, 200);
  std::map<std::string, double> samples;
  const std::regex line(R"(^([a-z_]+(\{[^}]*\})?) ([0-9.e+-]+)$)");
  std::istringstream in(r.body);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) samples[m[1]] = std::stod(m[3]);
  }
  EXPECT_EQ(
      samples[R"(tenantry_http_requests_total{route="/api/me",method="GET",status="200",tenant="store"})"],
      3);
  EXPECT_EQ(
      samples[R"(tenantry_http_requests_total{route="/api/me",method="GET",status="200",tenant="other"})"],
      1);
  EXPECT_EQ(
      samples[R"(tenantry_http_requests_total{route="unmatched",method="GET",status="404",tenant="store"})"],
      1);
  EXPECT_GE(samples[R"(tenantry_http_request_duration_seconds_count{route="/api/me"})"], 4);
  EXPECT_EQ(samples["tenantry_catalog_tenants"], 2);
  EXPECT_GE(samples["tenantry_db_round_trips_total"], 4);
  EXPECT_TRUE(samples.count(R"(tenantry_db_pool_connections{thread="0",state="idle"})"));
}

// The W1 hot path: one database round trip per GET /api/products/{id}, schema switch included, and no catalog
// query to resolve the tenant — read from the server's own counters.
TEST_F(AdminTest, ProductReadIsOneRoundTripWithTheSwitchPipelined) {
  auto created = post("/api/products", {{"sku", "A-1"}, {"name", "Cable"}, {"price_cents", 100}}, "staff");
  ASSERT_EQ(created.status, 201) << created.body;
  auto other =
      post("/api/products", {{"sku", "B-1"}, {"name", "Plug"}, {"price_cents", 100}}, "owner", kOtherStore);
  ASSERT_EQ(other.status, 201) << other.body;
  const std::string a = "/api/products/" + std::to_string(json(created)["id"].as_int64());
  const std::string b = "/api/products/" + std::to_string(json(other)["id"].as_int64());
  token("viewer");
  token("owner", kOtherStore);  // logins done before counting
  auto counter = [&](const std::string& name) {
    const auto body = metrics().body;
    const auto at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(body.substr(at + name.size() + 2));
  };
  const double trips = counter("tenantry_db_round_trips_total");
  const double switches = counter("tenantry_db_search_path_switches_total");
  constexpr int kRequests = 100;
  for (int i = 0; i < kRequests; ++i)  // alternating stores: every request may need a switch
    EXPECT_EQ((i % 2 ? get(b, "owner", kOtherStore) : get(a, "viewer")).status, 200);
  EXPECT_EQ(counter("tenantry_db_round_trips_total") - trips, kRequests);
  EXPECT_LE(counter("tenantry_db_search_path_switches_total") - switches, kRequests);
}

TEST_F(AdminTest, MetricsBoundTheTenantLabel) {
  config.server.metrics_tenant_labels = 1;
  ASSERT_EQ(admin("POST", "/admin/api/tenants", R"({"slug": "third", "name": "Third"})").status, 201);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(request("GET", "/api/", {"Host: store.localhost"}).status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: third.localhost"}).status, 200);
  EXPECT_EQ(request("GET", "/api/", {"Host: third.localhost"}).status, 200);
  const auto body = metrics().body;
  // The first tenant seen keeps its name; the others are summed under "_other" (which no schema can be
  // named).
  EXPECT_NE(
      body.find(R"(tenantry_http_requests_total{route="/api/",method="GET",status="200",tenant="store"} 3)"),
      std::string::npos)
      << body;
  EXPECT_NE(
      body.find(R"(tenantry_http_requests_total{route="/api/",method="GET",status="200",tenant="_other"} 2)"),
      std::string::npos)
      << body;
  EXPECT_EQ(body.find(R"(tenant="third")"), std::string::npos);
}

}  // namespace
}  // namespace tenantry::apps::admin

// What a tenant's hosts reveal and serve over HTTP: no internals to anonymous callers, no other tenant behind
// a tenant's own domain, no public host as a tenant's domain.
#include <chrono>
#include <thread>

#include "tenant_test_case.hpp"

namespace tenantry {
namespace {

using testing::error_fields;
using testing::HttpResponse;
using testing::json;

class TenantExposureTest : public testing::TenantTestCase {
 protected:
  HttpResponse get_at(const std::string& host, const std::string& target) {
    return request("GET", target, {"Host: " + host});
  }
  /// Polls until `host` answers `target` with `status` (the catalog reloads on NOTIFY, asynchronously).
  HttpResponse await_status(const std::string& host, const std::string& target, int status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    HttpResponse r = get_at(host, target);
    while (r.status != status && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      r = get_at(host, target);
    }
    return r;
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(TenantExposureTest, TheApiRootGivesAnonymousCallersNoInternals) {
  const std::string id = sql("SELECT id FROM tenants WHERE schema_name = 'store'", "");
  auto r = get("/api/", "");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json(r);
  EXPECT_EQ(body.at("name"), "Test store");
  EXPECT_EQ(body.at("links").at("products"), "products");
  for (const char* internal : {"tenant", "id", "schema", "slug", "plan", "state", "domains", "settings"})
    EXPECT_FALSE(body.contains(internal)) << internal << ": " << r.body;
  EXPECT_FALSE(has(r.body, "free")) << r.body;       // the plan
  EXPECT_FALSE(has(r.body, "\"store\"")) << r.body;  // the schema
  EXPECT_FALSE(has(r.body, ":" + id)) << r.body;     // the tenant id
}

TEST_F(TenantExposureTest, SuspendedAndProvisioningStoresDoNotNameTheirSchema) {
  auto created = admin("POST", "/admin/api/tenants",
                       R"({"slug": "hidden_slug", "name": "Visible", "domains": ["visible.example.com"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_EQ(admin("POST", "/admin/api/tenants/hidden_slug/suspend", "").status, 200);
  auto suspended = get_at("visible.example.com", "/api/");
  EXPECT_EQ(suspended.status, 403) << suspended.body;
  EXPECT_FALSE(has(suspended.body, "hidden_slug")) << suspended.body;

  sql("INSERT INTO tenants (schema_name, name) VALUES ('secret_prov', 'Soon'); "
      "INSERT INTO domains (domain, tenant_id, is_primary) "
      "SELECT 'soon.example.com', id, true FROM tenants WHERE schema_name = 'secret_prov'",
      "");
  auto provisioning = await_status("soon.example.com", "/api/", 503);
  EXPECT_EQ(provisioning.status, 503) << provisioning.body;
  EXPECT_FALSE(has(provisioning.body, "secret_prov")) << provisioning.body;
}

TEST_F(TenantExposureTest, AStoreWhoseSchemaVanishedDoesNotNameIt) {
  ASSERT_EQ(get("/api/products", "owner", kOtherStore).status, 200);
  sql("DROP SCHEMA other CASCADE", "");
  auto r = get("/api/products", "owner", kOtherStore);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(has(r.body, "'other'")) << r.body;
}

TEST_F(TenantExposureTest, ThePathResolverIsOffByDefault) {
  auto r = get_at("localhost", "/t/other/api/");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_FALSE(has(r.body, "Test other")) << r.body;
}

TEST_F(TenantExposureTest, ThePathResolverServesOnPublicHostsOnly) {
  config.tenancy.path_resolver = true;
  for (const std::string public_host : {"localhost", "LocalHost.:8080", "127.0.0.1:8080"}) {
    auto r = get_at(public_host, "/t/other/api/");
    EXPECT_EQ(r.status, 200) << public_host << r.body;
    EXPECT_TRUE(has(r.body, "Test other")) << public_host << r.body;
  }
  // The store's own host never answers for another store: the prefix is just a path there.
  auto r = get_at(host(), "/t/other/api/");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_FALSE(has(r.body, "Test other")) << r.body;
  auto own = get_at(host(), "/t/store/api/");
  EXPECT_EQ(own.status, 404) << own.body;
}

TEST_F(TenantExposureTest, TheAdminApiRefusesPublicHostsAsDomains) {
  config.tenancy.public_hosts = {"localhost", "127.0.0.1", "www.platform.test"};
  auto create =
      admin("POST", "/admin/api/tenants", R"({"slug": "newshop", "name": "New", "domains": ["LocalHost"]})");
  EXPECT_EQ(create.status, 400) << create.body;
  EXPECT_EQ(error_fields(create), std::set<std::string>{"domain"}) << create.body;
  EXPECT_TRUE(has(create.body, "is a public host")) << create.body;
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name = 'newshop'", ""), "0");

  for (const char* domain : {"127.0.0.1", "www.platform.test", "platform.test", "www.localhost"}) {
    auto add =
        admin("POST", "/admin/api/tenants/store/domains", std::string(R"({"domain": ")") + domain + "\"}");
    EXPECT_EQ(add.status, 400) << domain << add.body;
    EXPECT_EQ(error_fields(add), std::set<std::string>{"domain"}) << add.body;
  }
  EXPECT_EQ(admin("POST", "/admin/api/tenants/store/domains", R"({"domain": "shop.platform.test"})").status,
            200);
  EXPECT_EQ(sql("SELECT string_agg(domain, ',' ORDER BY domain) FROM domains d JOIN tenants t ON t.id = "
                "d.tenant_id WHERE t.schema_name = 'store'",
                ""),
            "shop.platform.test,store.localhost");
}

TEST_F(TenantExposureTest, TheServerRefusesAHeaderResolverThatTrustsEveryone) {
  config.tenancy.header_resolver = true;
  EXPECT_THROW(port(), ConfigError);
}

}  // namespace
}  // namespace tenantry

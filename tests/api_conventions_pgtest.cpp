// What API clients expect of every endpoint (issue 14): RFC 3339 timestamps, GET → PUT round trips, one
// status for validation errors, `search` beside `q`, unknown query parameters refused, one form of each path.
#include <regex>

#include "tenant_test_case.hpp"
#include "tenantry/http/problem.hpp"

namespace tenantry {
namespace {

using testing::error_fields;
using testing::json;
using testing::str;

class ApiConventionsTest : public testing::TenantTestCase {
 protected:
  std::int64_t create(const std::string& sku, const std::string& name) {
    auto r = post("/api/products", {{"sku", sku}, {"name", name}, {"price_cents", 100}});
    EXPECT_EQ(r.status, 201) << r.body;
    return json(r).at("id").as_int64();
  }
};

bool is_rfc3339(const boost::json::value& v) {
  static const std::regex form(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  return v.is_string() && std::regex_match(std::string(v.as_string()), form);
}

TEST_F(ApiConventionsTest, EveryTimestampIsRfc3339InUtc) {
  const auto id = create("TS-1", "Timestamped");
  const auto product = json(get("/api/products/" + std::to_string(id)));
  EXPECT_TRUE(is_rfc3339(product.at("created_at"))) << product;
  EXPECT_TRUE(is_rfc3339(product.at("updated_at"))) << product;

  auto login = request(
      "POST", "/api/auth/login", {"Host: " + host(), "Content-Type: application/json"},
      boost::json::serialize(boost::json::object{{"email", email("owner")}, {"password", kPassword}}));
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_TRUE(is_rfc3339(json(login).at("expires_at"))) << login.body;
  const auto me = json(get("/api/me"));
  EXPECT_TRUE(is_rfc3339(me.at("token_expires_at"))) << me;
  const auto members = json(get("/api/members"));
  for (const auto& m : members.at("results").as_array()) EXPECT_TRUE(is_rfc3339(m.at("created_at"))) << m;

  auto ticket = post("/api/tickets", {{"customer_name", "Ada"}, {"device", "Phone"}, {"problem", "Cracked"}});
  ASSERT_EQ(ticket.status, 201) << ticket.body;
  EXPECT_TRUE(is_rfc3339(json(ticket).at("created_at"))) << ticket.body;
  EXPECT_TRUE(json(ticket).at("closed_at").is_null());

  const auto tenant = json(admin("GET", "/admin/api/tenants/" + std::string(kStore)));
  EXPECT_TRUE(is_rfc3339(tenant.at("created_at"))) << tenant;
}

TEST_F(ApiConventionsTest, WhatAGetShowsCanBePutBackAndUnknownFieldsStayRefused) {
  const auto id = create("RT-1", "Round trip");
  const std::string path = "/api/products/" + std::to_string(id);
  auto product = json(get(path));
  product["name"] = "Round trip, edited";
  product["id"] = 999999;  // read-only: ignored, not an error and not applied
  auto put_back = put(path, product);
  ASSERT_EQ(put_back.status, 200) << put_back.body;
  EXPECT_EQ(json(put_back).at("id"), id);
  EXPECT_EQ(json(put_back).at("name"), "Round trip, edited");
  EXPECT_EQ(patch(path, {{"created_at", "2000-01-01T00:00:00.000Z"}, {"stock", 3}}).status, 200);
  EXPECT_NE(json(get(path)).at("created_at"), "2000-01-01T00:00:00.000Z");

  product["colour"] = "red";
  auto unknown = put(path, product);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_fields(unknown), (std::set<std::string>{"colour"}));

  auto ticket =
      json(post("/api/tickets", {{"customer_name", "Bo"}, {"device", "Laptop"}, {"problem", "Fan"}}));
  const std::string ticket_path = "/api/tickets/" + std::to_string(ticket.at("id").as_int64());
  auto shown = json(get(ticket_path));
  shown["device"] = "Laptop 2";
  shown.erase("status");  // (kept or not: a read-only field is never required)
  auto patched = patch(ticket_path, shown);
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json(patched).at("device"), "Laptop 2");
}

TEST_F(ApiConventionsTest, ValidationErrorsAreAlways400WithTheFieldsNamed) {
  auto body = json(post("/api/products", {{"sku", ""}}));
  EXPECT_EQ(body.at("status"), 400);
  auto slug = admin("POST", "/admin/api/tenants", R"({"slug": "Not A Slug!", "name": "x"})");
  EXPECT_EQ(slug.status, 400) << slug.body;
  EXPECT_EQ(str(json(slug).at("type")), std::string(http::kProblemTypeBase) + "validation-error");
  EXPECT_FALSE(error_fields(slug).empty()) << slug.body;
}

TEST_F(ApiConventionsTest, SearchWorksWhereQDoesAndUnknownQueryParametersAreRefused) {
  create("SRCH-1", "Blue cable");
  create("SRCH-2", "Red screen");
  auto names = [&](const std::string& query) {
    std::set<std::string> out;
    auto r = get("/api/products" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    if (r.status != 200) return out;
    const auto body = json(r);
    for (const auto& p : body.at("results").as_array()) out.emplace(p.at("name").as_string());
    return out;
  };
  EXPECT_EQ(names("?search=cable"), (std::set<std::string>{"Blue cable"}));
  EXPECT_EQ(names("?q=cable"), names("?search=cable"));
  EXPECT_EQ(get("/api/tickets?search=nobody").status, 200);

  auto typo = get("/api/products?catgory=screens&limit=5");
  EXPECT_EQ(typo.status, 400);
  EXPECT_EQ(error_fields(typo), (std::set<std::string>{"catgory"}));
  auto both = get("/api/tickets?stauts=open&min_price=abc");
  EXPECT_EQ(error_fields(both), (std::set<std::string>{"stauts", "min_price"}));
}

TEST_F(ApiConventionsTest, TheOtherFormOfAPathRedirectsPermanently) {
  auto slash = get("/api/products/?limit=1&search=a%20b");
  EXPECT_EQ(slash.status, 308);
  EXPECT_EQ(slash.header("location"), "/api/products?limit=1&search=a%20b");
  // 308 keeps the method and body, so a POST may follow it.
  auto post_slash = post("/api/products/", {{"sku", "X"}, {"name", "x"}, {"price_cents", 1}});
  EXPECT_EQ(post_slash.status, 308);
  EXPECT_EQ(post_slash.header("location"), "/api/products");
  auto root = request("GET", "/api", {"Host: " + host()});
  EXPECT_EQ(root.status, 308);
  EXPECT_EQ(root.header("location"), "/api/");
  EXPECT_EQ(get("/api/products/1/").status, 308);
  EXPECT_EQ(get("/api/nothing/").status, 404);
  EXPECT_EQ(get("/api/nothing").status, 404);
  EXPECT_EQ(request("GET", "/api/openapi.json/", {"Host: localhost"}).status, 308);
}

TEST_F(ApiConventionsTest, PageLinksFollowTrustedProxiesOnly) {
  config.server.trusted_proxies = {"127.0.0.1", "::1"};  // before the first request starts the server
  create("PX-1", "One");
  create("PX-2", "Two");
  const std::string auth = "Authorization: Bearer " + token("owner");
  auto proxied =
      request("GET", "/api/products?limit=1",
              {"Host: " + host(), auth, "X-Forwarded-Proto: https", "X-Forwarded-Host: shop.example.com"});
  ASSERT_EQ(proxied.status, 200) << proxied.body;
  EXPECT_EQ(json(proxied).at("next"), "https://shop.example.com/api/products?limit=1&offset=1");
  auto forwarded = request("GET", "/api/products?limit=1&offset=1",
                           {"Host: " + host(), auth, "Forwarded: proto=https;host=\"b.example\""});
  EXPECT_EQ(json(forwarded).at("previous"), "https://b.example/api/products?limit=1");
}

TEST_F(ApiConventionsTest, ForwardingHeadersFromAnyoneElseAreIgnored) {
  create("PX-3", "Three");
  create("PX-4", "Four");
  auto spoofed = request("GET", "/api/products?limit=1",
                         {"Host: " + host(), "Authorization: Bearer " + token("owner"),
                          "X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example"});
  ASSERT_EQ(spoofed.status, 200) << spoofed.body;
  EXPECT_EQ(str(json(spoofed).at("next")), "http://" + host() + "/api/products?limit=1&offset=1");
}

TEST_F(ApiConventionsTest, EntityTagsMakeReadsConditionalAndCatchLostUpdates) {
  const auto id = create("ET-1", "Tagged");
  const std::string path = "/api/products/" + std::to_string(id);
  const std::string auth = "Authorization: Bearer " + token("owner");
  auto first = get(path);
  const std::string tag = first.header("etag");
  ASSERT_EQ(tag.size(), 34u) << first.body;
  EXPECT_EQ(get(path).header("etag"), tag);  // the same representation, the same tag

  auto unchanged = request("GET", path, {"Host: " + host(), auth, "If-None-Match: " + tag});
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_TRUE(unchanged.body.empty());
  EXPECT_EQ(unchanged.header("etag"), tag);
  EXPECT_EQ(request("GET", path, {"Host: " + host(), auth, "If-None-Match: \"other\""}).status, 200);

  const std::string json_type = "Content-Type: application/json";
  auto changed =
      request("PATCH", path, {"Host: " + host(), auth, json_type, "If-Match: " + tag}, R"({"stock": 5})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  const std::string new_tag = changed.header("etag");
  EXPECT_NE(new_tag, tag);
  EXPECT_EQ(get(path).header("etag"), new_tag);  // the answer's tag is the resource's

  // A second writer still holding the first tag loses nothing of the first write: 412, nothing applied.
  auto stale = request("PUT", path, {"Host: " + host(), auth, json_type, "If-Match: " + tag},
                       boost::json::serialize(json(first)));
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(str(json(stale).at("type")), std::string(http::kProblemTypeBase) + "precondition-failed");
  EXPECT_EQ(json(get(path)).at("stock"), 5);
  EXPECT_EQ(request("DELETE", path, {"Host: " + host(), auth, "If-Match: " + tag}).status, 412);
  EXPECT_EQ(request("DELETE", path, {"Host: " + host(), auth, "If-Match: " + new_tag}).status, 204);
}

TEST_F(ApiConventionsTest, CorsAnswersListedOriginsOnlyWithoutCredentialsByDefault) {
  config.server.cors_origins = {"https://app.example.com", "http://*.localhost"};
  const std::string auth = "Authorization: Bearer " + token("owner");
  auto preflight =
      request("OPTIONS", "/api/products",
              {"Host: " + host(), "Origin: https://app.example.com", "Access-Control-Request-Method: POST",
               "Access-Control-Request-Headers: authorization"});
  EXPECT_EQ(preflight.status, 204) << preflight.body;
  EXPECT_EQ(preflight.header("access-control-allow-origin"), "https://app.example.com");
  EXPECT_NE(preflight.header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(preflight.header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_FALSE(preflight.has_header("access-control-allow-credentials"));

  // A store's own host by pattern; errors are readable too.
  auto list = request("GET", "/api/products?nope=1", {"Host: " + host(), auth, "Origin: http://" + host()});
  EXPECT_EQ(list.status, 400);
  EXPECT_EQ(list.header("access-control-allow-origin"), "http://" + host());
  EXPECT_NE(list.header("access-control-expose-headers").find("ETag"), std::string::npos);

  auto other =
      request("OPTIONS", "/api/products",
              {"Host: " + host(), "Origin: https://evil.test", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(other.status, 405);
  EXPECT_FALSE(other.has_header("access-control-allow-origin"));
  auto read = request("GET", "/api/products", {"Host: " + host(), auth, "Origin: https://evil.test"});
  EXPECT_EQ(read.status, 200);
  EXPECT_FALSE(read.has_header("access-control-allow-origin"));
  EXPECT_EQ(read.header("vary"), "Origin");
}

}  // namespace
}  // namespace tenantry

// The HTTP edge of a running Tenantry server, over a socket: which tenant an absolute-form target reaches,
// what list links say at the far end of a list, which methods are served, who may read /metrics and where,
// and the security headers of the admin console.
#include <boost/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tenant_test_case.hpp"

namespace tenantry {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::json;
using testing::str;

class HttpEdgeTest : public testing::TenantTestCase {
 protected:
  std::string bearer(const std::string& role, const std::string& store = kStore) {
    return "Authorization: Bearer " + token(role, store);
  }
  void add_products(int n) {
    for (int i = 0; i < n; ++i) {
      const auto r =
          post("/api/products",
               {{"sku", "SKU-" + std::to_string(i)}, {"name", "Cable"}, {"price_cents", 100}}, "staff");
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }
  /// The problem type's slug, e.g. "not-found".
  static std::string problem_type(const HttpResponse& r) {
    const std::string type = str(json(r)["type"]);
    return type.substr(type.rfind('/') + 1);
  }
};

// RFC 9112 §3.2.2: the target's authority names the tenant; the Host header is ignored. A store's token is
// valid on that store only, so a 200 shows which store answered.
TEST_F(HttpEdgeTest, AbsoluteFormTargetChoosesTheTenantNotTheHostHeader) {
  const auto store =
      request("GET", "http://store.localhost/api/me", {"Host: other.localhost", bearer("owner")});
  EXPECT_EQ(store.status, 200) << store.body;
  const auto other = request("GET", "http://OTHER.localhost:8080/api/me",
                             {"Host: store.localhost", bearer("owner", kOtherStore)});
  EXPECT_EQ(other.status, 200) << other.body;
  // Origin-form: the Host header decides, as before.
  EXPECT_EQ(request("GET", "/api/me", {"Host: other.localhost", bearer("owner")}).status, 401);
  // A public host in the target reaches the public routes, whatever Host says.
  EXPECT_EQ(request("GET", "http://localhost/admin/", {"Host: store.localhost"}).status, 200);
  EXPECT_EQ(request("GET", "/admin/", {"Host: store.localhost"}).status, 404);

  // The routed path is the target's, and list links point where the client pointed.
  add_products(2);
  const auto list = request("GET", "http://store.localhost:8080/api/products?limit=1&q=Cable",
                            {"Host: other.localhost", bearer("viewer")});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(str(json(list)["next"]), "http://store.localhost:8080/api/products?q=Cable&limit=1&offset=1");
}

// offset is any non-negative int64: next and previous must not come from an overflowing sum.
TEST_F(HttpEdgeTest, ListLinksAreRightAtAnyOffset) {
  add_products(3);
  const std::string base = "http://store.localhost/api/products?limit=";
  auto page = [&](const std::string& query) {
    const auto r = get("/api/products?" + query, "viewer");
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return json(r);
  };
  auto far = page("offset=9223372036854775807&limit=100");
  EXPECT_EQ(far["count"], 3);
  EXPECT_TRUE(far["results"].as_array().empty());
  EXPECT_TRUE(far["next"].is_null()) << far["next"];
  EXPECT_EQ(str(far["previous"]), base + "100");  // back to the last page there is: the first
  auto far2 = page("limit=2&offset=9223372036854775800");
  EXPECT_TRUE(far2["next"].is_null());
  EXPECT_EQ(str(far2["previous"]), base + "2&offset=1");
  auto middle = page("limit=1&offset=1");
  EXPECT_EQ(str(middle["next"]), base + "1&offset=2");
  EXPECT_EQ(str(middle["previous"]), base + "1");
  auto last = page("limit=1&offset=2");
  EXPECT_TRUE(last["next"].is_null());
  EXPECT_EQ(str(last["previous"]), base + "1&offset=1");

  for (const char* bad : {"offset=9223372036854775808", "offset=-1", "limit=0", "limit=9223372036854775807",
                          "limit=-9223372036854775808"}) {
    const auto r = get(std::string("/api/products?") + bad, "viewer");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
}

TEST_F(HttpEdgeTest, UnknownMethodsAre501AndAddNoMetricsSeries) {
  const std::vector<std::string> methods{"FOO", "BREW", "PROPFIND", "QZXWVUTSRQPONMLKJIHGFEDCBA0123456789"};
  for (const auto& method : methods) {
    for (const char* host : {"Host: store.localhost", "Host: localhost"}) {
      HttpClient client(port());  // the server closes the connection after a 501
      const auto r = client.request(method, "/api/", {host});
      EXPECT_EQ(r.status, 501) << method;
      EXPECT_EQ(r.header("content-type"), "application/problem+json");
      EXPECT_EQ(problem_type(r), "not-implemented");
    }
  }
  EXPECT_EQ(get("/api/me").status, 200);
  const auto scraped = metrics();
  ASSERT_EQ(scraped.status, 200);
  for (const auto& method : methods) EXPECT_EQ(scraped.body.find(method), std::string::npos) << method;
  const std::set<std::string> fixed{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};
  const std::regex label(R"re(method="([^"]*)")re");
  int labelled = 0;
  for (std::sregex_iterator it(scraped.body.begin(), scraped.body.end(), label), end; it != end; ++it) {
    EXPECT_TRUE(fixed.count((*it)[1].str())) << (*it)[1].str();
    ++labelled;
  }
  EXPECT_GT(labelled, 0);
}

// The metrics name the busiest tenants: a tenant's host never serves them, token or not.
TEST_F(HttpEdgeTest, MetricsAreNotServedOnTenantHosts) {
  const std::string auth = "Authorization: Bearer " + std::string(kMetricsToken);
  for (const auto& tenant_host : {host(kStore), host(kOtherStore)}) {
    const auto r = request("GET", "/metrics", {"Host: " + tenant_host, auth});
    EXPECT_EQ(r.status, 404) << tenant_host;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(r.body.find("tenantry_"), std::string::npos) << r.body;
  }
  EXPECT_EQ(request("GET", "/t/store/metrics", {"Host: localhost", auth}).status, 404);
  EXPECT_EQ(request("GET", "http://store.localhost/metrics", {"Host: localhost", auth}).status, 404);
  const auto unknown = request("GET", "/metrics", {"Host: nobody.example.org", auth});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(problem_type(unknown), "tenant-not-found");
}

TEST_F(HttpEdgeTest, MetricsOnThePublicHostNeedTheToken) {
  const std::string secret = kMetricsToken;
  for (const std::string& credentials : std::vector<std::string>{
           "", "Authorization: Bearer wrong-token-of-some-length", "Authorization: Bearer " + secret + "x",
           "Authorization: Bearer " + secret.substr(1), "Authorization: Basic " + secret,
           "Authorization: " + secret, "Authorization: bearer" + secret}) {
    std::vector<std::string> headers{"Host: localhost"};
    if (!credentials.empty()) headers.push_back(credentials);
    const auto r = request("GET", "/metrics", headers);
    EXPECT_EQ(r.status, 401) << credentials;
    EXPECT_EQ(problem_type(r), "not-authenticated") << credentials;
    EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"metrics\"");
    EXPECT_EQ(r.body.find("tenantry_"), std::string::npos);
  }
  const auto r = metrics();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("tenantry_http_requests_total"), std::string::npos);
}

// Without server.metrics_token the main listener has no /metrics at all: as if there were no such route.
TEST_F(HttpEdgeTest, WithoutATokenTheMainListenerServesNoMetrics) {
  config.server.metrics_token.clear();
  for (const char* credentials : {"X-None: 1", "Authorization: Bearer ", "Authorization: Bearer x"}) {
    const auto r = request("GET", "/metrics", {"Host: localhost", credentials});
    EXPECT_EQ(r.status, 404) << credentials;
    EXPECT_EQ(problem_type(r), "not-found");
  }
  EXPECT_EQ(request("GET", "/healthz", {"Host: localhost"}).status, 200);  // liveness stays on every host
}

TEST_F(HttpEdgeTest, TheMetricsListenerServesOnlyOperatorEndpoints) {
  config.server.metrics_listen = "127.0.0.1:0";
  config.server.metrics_token.clear();
  EXPECT_EQ(get("/api/me").status, 200);
  ASSERT_NE(metrics_port(), 0);
  ASSERT_NE(metrics_port(), port());
  HttpClient ops(metrics_port());
  const auto scraped = ops.request("GET", "/metrics", {"Host: metrics.internal"});
  EXPECT_EQ(scraped.status, 200);
  EXPECT_NE(scraped.body.find(R"(route="/api/me",method="GET",status="200",tenant="store")"),
            std::string::npos)
      << scraped.body;
  EXPECT_EQ(ops.request("GET", "/healthz", {"Host: metrics.internal"}).status, 200);
  const auto ready = ops.request("GET", "/readyz", {"Host: metrics.internal"});
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(json(ready)["checks"].at("database"), "ok");
  for (const char* target : {"/api/", "/admin/", "/api/me", "/t/store/api/"}) {
    const auto r = ops.request("GET", target, {"Host: store.localhost"});
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(problem_type(r), "not-found") << target;
  }
  // and the main listener, with no token, still has none
  EXPECT_EQ(request("GET", "/metrics", {"Host: localhost"}).status, 404);
}

TEST_F(HttpEdgeTest, MetricsTokenIsASecretOfSomeLength) {
  Config c;
  c.server.metrics_token = "a-metrics-token-nobody-guesses";
  const std::string shown = render_config(c);
  EXPECT_EQ(shown.find("nobody-guesses"), std::string::npos) << shown;
  EXPECT_NE(shown.find("metrics_token = '***'"), std::string::npos) << shown;
  EXPECT_NE(shown.find("metrics_listen = ''"), std::string::npos) << shown;
  c.auth.secret = "an-hmac-key-in-the-clear";
  EXPECT_EQ(render_config(c).find("in-the-clear"), std::string::npos);
}

// The console must not be framed (clickjacking of its suspend/drop buttons) nor have its files sniffed into
// another type; its CSP allows only its own files.
TEST_F(HttpEdgeTest, ConsoleSendsFramingAndContentSecurityHeaders) {
  for (const char* file : {"/admin/", "/admin/console.js", "/admin/console.css"}) {
    const auto r = request("GET", file, {"Host: localhost"});
    ASSERT_EQ(r.status, 200) << file;
    EXPECT_EQ(r.header("x-frame-options"), "DENY") << file;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << file;
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << file;
    const std::string csp = r.header("content-security-policy");
    for (const char* directive : {"default-src 'none'", "script-src 'self'", "connect-src 'self'",
                                  "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"})
      EXPECT_NE(csp.find(directive), std::string::npos) << file << ": " << csp << " lacks " << directive;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("script-src 'self' 'unsafe-inline'"), std::string::npos) << csp;
  }
}

}  // namespace
}  // namespace tenantry

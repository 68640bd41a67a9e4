#include "web/detail/cors_policy.hpp"

#include <gtest/gtest.h>

namespace tenantry::web::detail {
namespace {

TEST(CorsPolicy, ExactOriginsAndLeftmostLabelPatterns) {
  const CorsPolicy cors({"https://app.example.com", "https://*.stores.example.com:8443"}, false);
  EXPECT_TRUE(cors.allows("https://app.example.com"));
  EXPECT_FALSE(cors.allows("http://app.example.com"));
  EXPECT_FALSE(cors.allows("https://app.example.com.evil.test"));
  EXPECT_TRUE(cors.allows("https://northwind.stores.example.com:8443"));
  EXPECT_TRUE(cors.allows("https://eu.northwind.stores.example.com:8443"));
  EXPECT_FALSE(cors.allows("https://.stores.example.com:8443"));
  EXPECT_FALSE(cors.allows("https://stores.example.com:8443"));
  EXPECT_FALSE(cors.allows("https://a/b.stores.example.com:8443"));
  EXPECT_FALSE(cors.allows("null"));
}

TEST(CorsPolicy, HeadersOnlyForAllowedOriginsAndCredentialsOnlyWhenOn) {
  const CorsPolicy cors({"https://app.example.com"}, false);
  http::Response ok = http::Response::empty(200);
  cors.decorate("https://app.example.com", ok);
  EXPECT_EQ(ok.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_FALSE(ok.header("Access-Control-Allow-Credentials"));
  http::Response other = http::Response::empty(200);
  cors.decorate("https://evil.test", other);
  EXPECT_FALSE(other.header("Access-Control-Allow-Origin"));
  EXPECT_EQ(other.header("Vary"), "Origin");

  const CorsPolicy with_credentials({"https://app.example.com"}, true);
  auto preflight = with_credentials.preflight("GET, HEAD, POST");
  with_credentials.decorate("https://app.example.com", preflight);
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "GET, HEAD, POST");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Credentials"), "true");
  http::Response none = http::Response::empty(200);
  CorsPolicy({}, false).decorate("https://app.example.com", none);
  EXPECT_TRUE(none.headers.empty());
}

}  // namespace
}  // namespace tenantry::web::detail

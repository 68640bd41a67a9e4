#include "web/detail/forwarded_origin.hpp"

#include <gtest/gtest.h>

namespace tenantry::web::detail {
namespace {

http::Request from(std::string remote, std::vector<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.set_target("/api/products");
  r.authority = "store.localhost:8080";
  r.remote_address = std::move(remote);
  for (const auto& [name, value] : headers) r.add_header(name, value);
  return r;
}

TEST(ForwardedOrigin, FollowsOnlyTrustedProxies) {
  const ForwardedOrigin origin({"10.0.0.0/8"});
  const std::vector<std::pair<std::string, std::string>> headers{{"X-Forwarded-Proto", "https"},
                                                                 {"X-Forwarded-Host", "shop.example.com"}};
  EXPECT_EQ(origin.of(from("10.1.2.3", headers)), "https://shop.example.com");
  EXPECT_EQ(origin.of(from("192.168.1.1", headers)), "");
  EXPECT_EQ(ForwardedOrigin({}).of(from("10.1.2.3", headers)), "");
}

TEST(ForwardedOrigin, ReadsForwardedFirstAndTheNearestElement) {
  const ForwardedOrigin origin({"127.0.0.1"});
  EXPECT_EQ(
      origin.of(from("127.0.0.1", {{"Forwarded", R"(for=1.2.3.4;proto=https;host="a.example", for=5.6.7.8)"},
                                   {"X-Forwarded-Host", "b.example"}})),
      "https://a.example");
  EXPECT_EQ(origin.of(from("127.0.0.1", {{"X-Forwarded-Proto", "https, http"}})),
            "https://store.localhost:8080");
  EXPECT_EQ(origin.of(from("127.0.0.1", {{"X-Forwarded-Host", "c.example:8443"}})), "http://c.example:8443");
  EXPECT_EQ(origin.of(from("127.0.0.1", {})), "");
}

TEST(ForwardedOrigin, RefusesWhatNoOriginLooksLike) {
  const ForwardedOrigin origin({"127.0.0.1"});
  EXPECT_EQ(origin.of(from("127.0.0.1", {{"X-Forwarded-Proto", "javascript"}})), "");
  EXPECT_EQ(origin.of(from("127.0.0.1", {{"X-Forwarded-Host", "evil.example/path?x"}})), "");
  EXPECT_EQ(origin.of(from("127.0.0.1", {{"X-Forwarded-Host", "a b"}})), "");
}

}  // namespace
}  // namespace tenantry::web::detail

#include "tenantry/http/router.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace tenantry::http {
namespace {

using TestRouter = Router<std::string>;  // the "handler" is a name, which is all the tests need

// By value: a Match is usually a temporary.
TestRouter::Found found(const TestRouter::Match& m) {
  const auto* f = std::get_if<TestRouter::Found>(&m);
  if (f == nullptr) throw std::runtime_error("route not found");
  return *f;
}

TestRouter catalog() {
  TestRouter r;
  r.add("GET", "/", "root");
  r.add("GET", "/api/products", "list");
  r.add("POST", "/api/products", "create");
  r.add("GET", "/api/products/search", "search");
  r.add("GET", "/api/products/{id:int}", "get");
  r.add("DELETE", "/api/products/{id:int}", "delete");
  r.add("GET", "/api/products/{id:int}/reviews/{review:int}", "review");
  r.add("GET", "/api/categories/{slug}", "category");
  r.add("GET", "/api/categories/{slug}/products", "category-products");
  return r;
}

TEST(Router, MatchesLiteralRoutes) {
  const TestRouter r = catalog();
  EXPECT_EQ(*found(r.match("GET", "/")).handler, "root");
  EXPECT_EQ(*found(r.match("GET", "/api/products")).handler, "list");
  EXPECT_EQ(*found(r.match("POST", "/api/products")).handler, "create");
  EXPECT_TRUE(found(r.match("GET", "/api/products")).params.empty());
}

TEST(Router, CapturesTypedParams) {
  const TestRouter r = catalog();
  const auto f = found(r.match("GET", "/api/products/42/reviews/7"));
  EXPECT_EQ(*f.handler, "review");
  EXPECT_EQ(f.route_template(), "/api/products/{id:int}/reviews/{review:int}");
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_EQ(f.params.get_int("id"), 42);
  EXPECT_EQ(f.params.get_int("review"), 7);
  EXPECT_EQ(f.params.get("id"), "42");
  EXPECT_FALSE(f.params.get("missing").has_value());

  const auto c = found(r.match("GET", "/api/categories/garden-tools"));
  EXPECT_EQ(c.params.get("slug"), "garden-tools");
  EXPECT_FALSE(c.params.get_int("slug").has_value());
  EXPECT_EQ(found(r.match("GET", "/api/products/9223372036854775807")).params.get_int("id"), INT64_MAX);
}

TEST(Router, IntParamRejectsNonNumbersAndOverflowAsNotFound) {
  const TestRouter r = catalog();
  for (const char* path : {"/api/products/abc", "/api/products/-1", "/api/products/+1", "/api/products/1.5",
                           "/api/products/9223372036854775808", "/api/products/99999999999999999999",
                           "/api/products/12abc", "/api/products/ 1"}) {
    EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", path))) << path;
  }
}

TEST(Router, LiteralWinsOverParam) {
  TestRouter r;
  r.add("GET", "/api/products/{id}", "by-id");
  r.add("GET", "/api/products/search", "search");
  r.add("GET", "/api/{kind}/search/deep", "deep");
  EXPECT_EQ(*found(r.match("GET", "/api/products/search")).handler, "search");
  EXPECT_EQ(*found(r.match("GET", "/api/products/other")).handler, "by-id");
  // The literal "products" branch has no ".../search/deep": backtracks into {kind}.
  const auto deep = found(r.match("GET", "/api/products/search/deep"));
  EXPECT_EQ(*deep.handler, "deep");
  EXPECT_EQ(deep.params.get("kind"), "products");
}

TEST(Router, IntParamWinsOverStringParam) {
  TestRouter r;
  r.add("GET", "/items/{name}", "by-name");
  r.add("GET", "/items/{id:int}", "by-id");
  EXPECT_EQ(*found(r.match("GET", "/items/12")).handler, "by-id");
  EXPECT_EQ(*found(r.match("GET", "/items/twelve")).handler, "by-name");
}

TEST(Router, TrailingSlashAndEmptySegmentsAreExact) {
  const TestRouter r = catalog();
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", "/api/products/")));
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", "/api//products")));
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", "/api/categories/")));
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", "/api/categories//products")));
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", "")));
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", "api/products")));
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(r.match("GET", "/API/products")));

  TestRouter slash;
  slash.add("GET", "/docs/", "docs-dir");
  EXPECT_EQ(*found(slash.match("GET", "/docs/")).handler, "docs-dir");
  EXPECT_TRUE(std::holds_alternative<TestRouter::NotFound>(slash.match("GET", "/docs")));
}

TEST(Router, MethodNotAllowedListsAllowedMethods) {
  const TestRouter r = catalog();
  const auto m = r.match("PUT", "/api/products/5");
  const auto* mna = std::get_if<TestRouter::MethodNotAllowed>(&m);
  ASSERT_NE(mna, nullptr);
  EXPECT_EQ(mna->allowed, (std::vector<std::string>{"DELETE", "GET", "HEAD"}));
  EXPECT_EQ(mna->allow_header(), "DELETE, GET, HEAD");

  const auto m2 = r.match("DELETE", "/api/products");
  ASSERT_TRUE(std::holds_alternative<TestRouter::MethodNotAllowed>(m2));
  EXPECT_EQ(std::get<TestRouter::MethodNotAllowed>(m2).allow_header(), "GET, HEAD, POST");
  // Method names are case-sensitive (RFC 9110 §9.1).
  EXPECT_TRUE(std::holds_alternative<TestRouter::MethodNotAllowed>(r.match("get", "/api/products")));
}

TEST(Router, MethodNotAllowedUnionsOverlappingRoutes) {
  TestRouter r;
  r.add("GET", "/files/{name}", "get");
  r.add("PUT", "/files/readme", "put-readme");
  const auto m = r.match("POST", "/files/readme");
  ASSERT_TRUE(std::holds_alternative<TestRouter::MethodNotAllowed>(m));
  EXPECT_EQ(std::get<TestRouter::MethodNotAllowed>(m).allow_header(), "GET, HEAD, PUT");
  // GET on the literal path falls back to the placeholder route.
  EXPECT_EQ(*found(r.match("GET", "/files/readme")).handler, "get");
}

TEST(Router, HeadMatchesGetUnlessHeadIsRouted) {
  TestRouter r = catalog();
  EXPECT_EQ(*found(r.match("HEAD", "/api/products/3")).handler, "get");
  r.add("HEAD", "/api/products", "head-list");
  EXPECT_EQ(*found(r.match("HEAD", "/api/products")).handler, "head-list");
  // HEAD does not fall back to other methods.
  TestRouter post_only;
  post_only.add("POST", "/submit", "submit");
  EXPECT_TRUE(std::holds_alternative<TestRouter::MethodNotAllowed>(post_only.match("HEAD", "/submit")));
}

TEST(Router, ListsRoutesForDocumentation) {
  const TestRouter r = catalog();
  const auto& routes = r.routes();
  ASSERT_EQ(routes.size(), 9u);
  EXPECT_EQ(routes[1].method, "GET");
  EXPECT_EQ(routes[1].path_template, "/api/products");
  EXPECT_EQ(std::string(r.handler(1)), "list");
  const RouteEntry& review = routes[6];
  ASSERT_EQ(review.params.size(), 2u);
  EXPECT_EQ(review.params[0].name, "id");
  EXPECT_EQ(review.params[0].type, PathParamType::integer);
  EXPECT_EQ(routes[7].params[0].type, PathParamType::string);
}

TEST(Router, RejectsMalformedTemplatesAndDuplicates) {
  TestRouter r;
  r.add("GET", "/a/{id}", "a");
  EXPECT_THROW(r.add("GET", "/a/{other}", "dup-shape"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "no-slash", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/x{id}", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{id", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{id:float}", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/b/{id}/{id}", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/b/{1x}", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("get", "/c", "x"), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", "x"), std::invalid_argument);
  EXPECT_NO_THROW(r.add("POST", "/a/{id}", "post"));
}

TEST(Router, MatchesPercentDecodedSegments) {
  // The router sees Request::path, already decoded: a placeholder captures the decoded text.
  const TestRouter r = catalog();
  EXPECT_EQ(found(r.match("GET", "/api/categories/caf\xc3\xa9")).params.get("slug"), "caf\xc3\xa9");
}

}  // namespace
}  // namespace tenantry::http

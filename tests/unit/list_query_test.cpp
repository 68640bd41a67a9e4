#include "tenantry/web/list_query.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "problem_matchers.hpp"
#include "tenantry/web/operation.hpp"
#include "tenantry/web/pagination.hpp"

namespace tenantry::web {
namespace {

using testing::field_errors;
using testing::problem_of;
using Errors = std::vector<std::pair<std::string, std::string>>;
using Values = std::vector<std::optional<std::string>>;

http::Request get(std::string_view target, std::string authority = "acme.localhost:8080") {
  http::Request r;
  r.method = "GET";
  EXPECT_TRUE(r.set_target(target)) << target;
  if (r.authority.empty()) r.authority = std::move(authority);
  return r;
}

const std::vector<OrderingField> kOrderings{{"id", "id"}, {"name", "lower(name)"}, {"price", "price_cents"}};

/// A list's declaration, as a route declares it.
const Operation& list_operation() {
  static const Operation op{.summary = "List",
                            .query = {{"min_price", Schema::integer(0)},
                                      {"active", Schema::boolean()},
                                      {"q", Schema::string()},
                                      {"status", Schema::choice({"open", "closed"})},
                                      ordering_parameter(kOrderings)},
                            .page_of = Schema::integer()};
  return op;
}

/// The request's query as dispatch validates it.
Input query_of(const http::Request& request) {
  ValidatedInput input = validate_input(list_operation(), request);
  if (!input.errors.empty()) throw http::Invalid(std::move(input.errors));
  return input.query;
}

TEST(Page, DefaultsAndBounds) {
  const Page page = Page::from(query_of(get("/api/products")));
  EXPECT_EQ(page.limit, 20);
  EXPECT_EQ(page.offset, 0);
  const Page asked = Page::from(query_of(get("/api/products?limit=100&offset=9223372036854775807")));
  EXPECT_EQ(asked.limit, 100);
  EXPECT_EQ(asked.offset, INT64_MAX);
}

TEST(Page, BadLimitsAndOffsetsAre400NamingTheParameter) {
  const std::vector<std::pair<std::string, Errors>> cases{
      {"?limit=0", {{"limit", "Must be at least 1."}}},
      {"?limit=101", {{"limit", "Must be at most 100."}}},
      {"?limit=ten", {{"limit", "Must be an integer."}}},
      {"?limit=", {{"limit", "Must be an integer."}}},
      {"?offset=-1", {{"offset", "Must be at least 0."}}},
      {"?offset=9223372036854775808", {{"offset", "Must be an integer."}}},
  };
  for (const auto& [query, errors] : cases) {
    const auto request = get("/api/products" + query);
    auto p = problem_of([&] { query_of(request); });
    ASSERT_TRUE(p) << query;
    EXPECT_EQ(p->status, 400) << query;
    EXPECT_EQ(field_errors(*p), errors) << query;
  }
}

boost::json::value page_body(std::string_view target, std::int64_t count) {
  const auto request = get(target);
  const Page page = Page::from(query_of(request));
  return boost::json::parse(page.response(request, count, boost::json::array{1, 2}).body);
}

TEST(Page, LinksKeepOtherParametersAndPointWhereTheClientPointed) {
  const auto body = page_body("/api/products?q=caf%C3%A9+au+lait&limit=2&offset=2", 7);
  EXPECT_EQ(body.at("count"), 7);
  EXPECT_EQ(body.at("results"), (boost::json::array{1, 2}));
  EXPECT_EQ(body.at("next"),
            "http://acme.localhost:8080/api/products?q=caf%C3%A9%20au%20lait&limit=2&offset=4");
  EXPECT_EQ(body.at("previous"), "http://acme.localhost:8080/api/products?q=caf%C3%A9%20au%20lait&limit=2");
}

TEST(Page, NoNextOnTheLastPageAndNoPreviousOnTheFirst) {
  const auto first = page_body("/api/products?limit=5", 5);
  EXPECT_TRUE(first.at("next").is_null());
  EXPECT_TRUE(first.at("previous").is_null());
  const auto last = page_body("/api/products?limit=5&offset=5", 10);
  EXPECT_TRUE(last.at("next").is_null());
  EXPECT_EQ(last.at("previous"), "http://acme.localhost:8080/api/products?limit=5");
}

TEST(Page, FromPastTheEndPreviousIsTheLastPage) {
  EXPECT_EQ(page_body("/api/products?limit=5&offset=50", 12).at("previous"),
            "http://acme.localhost:8080/api/products?limit=5&offset=7");
  // The largest offset overflows no sum.
  const auto far = page_body("/api/products?limit=100&offset=9223372036854775807", 3);
  EXPECT_TRUE(far.at("next").is_null());
  EXPECT_EQ(far.at("previous"), "http://acme.localhost:8080/api/products?limit=100");
}

TEST(Page, AbsoluteFormTargetsLinkToTheirOwnAuthority) {
  EXPECT_EQ(page_body("http://globex.localhost/t/x/api/items?limit=1", 3).at("next"),
            "http://globex.localhost/t/x/api/items?limit=1&offset=1");
}

TEST(ListQuery, FiltersBecomeNumberedBindParameters) {
  const auto request = get("/api/products?min_price=100&active=true&q=lamp");
  const Input query = query_of(request);
  ListQuery q(request, query);
  if (auto v = q.integer("min_price")) q.where("price_cents >= $?", *v);
  if (auto v = q.boolean("active")) q.where("active = $?", *v);
  if (auto v = q.text("q")) q.where("name ILIKE '%' || $? || '%' OR sku = $?", *v);
  q.order(kOrderings, "name");
  EXPECT_EQ(q.where_sql(),
            " WHERE (price_cents >= $1) AND (active = $2) AND (name ILIKE '%' || $3 || '%' OR sku = $3)");
  EXPECT_EQ(q.params().values(), (Values{"100", "t", "lamp"}));
  EXPECT_EQ(q.order_page_sql(), " ORDER BY lower(name), id LIMIT $4 OFFSET $5");
  EXPECT_EQ(q.rows_params().values(), (Values{"100", "t", "lamp", "20", "0"}));
}

TEST(ListQuery, WithoutFiltersThereIsNoWhereClause) {
  const auto request = get("/api/products?limit=3&offset=6");
  const Input query = query_of(request);
  ListQuery q(request, query);
  q.order(kOrderings, "-id");
  EXPECT_EQ(q.where_sql(), "");
  EXPECT_EQ(q.order_page_sql(), " ORDER BY id DESC LIMIT $1 OFFSET $2");
  EXPECT_EQ(q.rows_params().values(), (Values{"3", "6"}));
}

TEST(ListQuery, OrderingComesFromTheWhitelistWithIdBreakingTies) {
  const auto request = get("/api/products?ordering=-price,name");
  const Input query = query_of(request);
  ListQuery q(request, query);
  q.order(kOrderings, "id");
  EXPECT_EQ(q.order_page_sql(), " ORDER BY price_cents DESC, lower(name), id LIMIT $1 OFFSET $2");
}

TEST(ListQuery, ReportsEveryBadParameterAtOnceWithThePageErrors) {
  const auto request =
      get("/api/products?limit=0&min_price=cheap&active=maybe&status=gone&ordering=-bogus&colour=red");
  auto p = problem_of([&] { query_of(request); });
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 400);
  EXPECT_EQ(field_errors(*p),
            (Errors{{"limit", "Must be at least 1."},
                    {"min_price", "Must be an integer."},
                    {"active", "Must be true or false."},
                    {"status", "Must be one of: open, closed."},
                    {"ordering",
                     "Unknown ordering field 'bogus'; allowed: id, name, price (each optionally "
                     "prefixed with '-')."},
                    {"colour", "Unknown query parameter."}}));
}

}  // namespace
}  // namespace tenantry::web

#include "tenantry/web/openapi.hpp"

#include <gtest/gtest.h>

namespace tenantry::web {
namespace {

namespace json = boost::json;

Task<http::Response> no_handler(RequestContext&) {
  co_return http::Response::empty(204);
}

TEST(OpenApiPath, DropsParameterTypes) {
  EXPECT_EQ(web::openapi_path("/api/products/{id:int}"), "/api/products/{id}");
  EXPECT_EQ(web::openapi_path("/api/{a}/x/{b:int}/y"), "/api/{a}/x/{b}/y");
}

class OpenApiDocument : public ::testing::Test {
 protected:
  OpenApiDocument() {
    table.add("GET", "/api/products", no_handler, {.summary = "List products", .tags = {"catalog"}});
    table.add("POST", "/api/products", no_handler);
    table.add("GET", "/api/products/{id:int}", no_handler,
              {.description = "One product", .operation_id = "getProduct", .deprecated = true});
    table.add("PATCH", "/api/stores/{slug}/members/{id:int}", no_handler);
    document = openapi_document(table, "Store API");
  }
  const json::object& operation(const char* path, const char* method) const {
    return document.at("paths").at(path).at(method).as_object();
  }

  RouteTable table;
  json::object document;
};

TEST_F(OpenApiDocument, NamesTheVersionTitleAndBearerSecurity) {
  EXPECT_EQ(document.at("openapi"), "3.1.0");
  EXPECT_EQ(document.at("info").at("title"), "Store API");
  EXPECT_EQ(document.at("components").at("securitySchemes").at("bearer").at("scheme"), "bearer");
  EXPECT_TRUE(document.at("components").at("schemas").at("Problem").is_object());
}

TEST_F(OpenApiDocument, OnePathPerTemplateWithEveryMethod) {
  const auto& paths = document.at("paths").as_object();
  EXPECT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths.at("/api/products").as_object().size(), 2u);
  EXPECT_TRUE(paths.at("/api/products").as_object().contains("get"));
  EXPECT_TRUE(paths.at("/api/products").as_object().contains("post"));
  EXPECT_TRUE(paths.contains("/api/products/{id}"));
  EXPECT_FALSE(paths.contains("/api/products/{id:int}"));
}

TEST_F(OpenApiDocument, RouteInfoBecomesTheOperation) {
  const auto& list = operation("/api/products", "get");
  EXPECT_EQ(list.at("summary"), "List products");
  EXPECT_EQ(list.at("tags"), (json::array{"catalog"}));
  EXPECT_EQ(list.at("operationId"), "getApiProducts");
  EXPECT_FALSE(list.contains("deprecated"));
  EXPECT_FALSE(list.contains("requestBody"));
  const auto& one = operation("/api/products/{id}", "get");
  EXPECT_EQ(one.at("description"), "One product");
  EXPECT_EQ(one.at("operationId"), "getProduct");
  EXPECT_EQ(one.at("deprecated"), true);
}

TEST_F(OpenApiDocument, TypedPathParametersAndRequestBodies) {
  const auto& patch = operation("/api/stores/{slug}/members/{id}", "patch");
  EXPECT_EQ(patch.at("operationId"), "patchApiStoresSlugMembersId");
  const json::array expected{
      {{"name", "slug"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
      {{"name", "id"},
       {"in", "path"},
       {"required", true},
       {"schema", {{"type", "integer"}, {"minimum", 0}}}}};
  EXPECT_EQ(patch.at("parameters"), expected);
  EXPECT_TRUE(patch.at("requestBody").at("content").as_object().contains("application/json"));
  EXPECT_TRUE(operation("/api/products", "post").contains("requestBody"));
}

TEST_F(OpenApiDocument, ErrorsAnswerWithProblemDetails) {
  const auto& responses = operation("/api/products", "get").at("responses");
  for (const char* range : {"4XX", "5XX"})
    EXPECT_EQ(responses.at(range).at("content").at("application/problem+json").at("schema").at("$ref"),
              "#/components/schemas/Problem")
        << range;
  EXPECT_TRUE(responses.at("2XX").is_object());
}

}  // namespace
}  // namespace tenantry::web

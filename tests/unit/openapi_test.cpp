#include "tenantry/web/openapi.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

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

const Schema& item() {
  static const Schema schema =
      Schema::object({{"id", Schema::integer(1), Presence::kReadOnly}, {"name", Schema::line(1, 20)}})
          .named("Item");
  return schema;
}

constexpr http::ProblemType<409> kTaken{"name-taken", "Name taken"};

class OpenApiDocument : public ::testing::Test {
 protected:
  OpenApiDocument() {
    table.add("GET", "/api/products", no_handler,
              {.summary = "List products",
               .tags = {"catalog"},
               .access = Access::at_least(auth::Role::kViewer),
               .query = {{"q", Schema::string(0, 10), "Search."}},
               .page_of = item()});
    table.add("POST", "/api/products", no_handler,
              {.summary = "Create",
               .body = item().for_write(Write::kCreate, "ItemCreate"),
               .replies = {{201, item()}},
               .problems = {kTaken}});
    table.add("GET", "/api/products/{id:int}", no_handler,
              {.summary = "One",
               .description = "One product",
               .operation_id = "getProduct",
               .replies = {{200, item()}}});
    table.add("PATCH", "/api/stores/{slug}/members/{id:int}", no_handler,
              {.summary = "Change",
               .path = {{"slug", Schema::string(1, 63).example("acme"), "The store."}},
               .body = Schema::object({{"role", Schema::choice({"a", "b"})}}),
               .replies = {{200, item()}}});
    table.add("GET", "/secret", no_handler, {.summary = "Hidden", .undocumented = true});
    document = openapi_document(table, "Store API", true);
  }
  const json::object& operation(const char* path, const char* method) const {
    return document.at("paths").at(path).at(method).as_object();
  }

  RouteTable table;
  json::object document;
};

TEST_F(OpenApiDocument, NamesTheVersionTitleTagsAndBearerSecurity) {
  EXPECT_EQ(document.at("openapi"), "3.1.0");
  EXPECT_EQ(document.at("info").at("title"), "Store API");
  EXPECT_EQ(document.at("tags"), json::parse(R"([{"name": "catalog"}])"));
  EXPECT_EQ(document.at("components").at("securitySchemes").at("bearer").at("scheme"), "bearer");
  EXPECT_TRUE(document.at("components").at("schemas").at("Problem").is_object());
}

TEST_F(OpenApiDocument, OnePathPerTemplateWithEveryMethod) {
  const auto& paths = document.at("paths").as_object();
  EXPECT_EQ(paths.size(), 3u);  // not the undocumented one
  EXPECT_EQ(paths.at("/api/products").as_object().size(), 2u);
  EXPECT_TRUE(paths.contains("/api/products/{id}"));
  EXPECT_FALSE(paths.contains("/api/products/{id:int}"));
}

TEST_F(OpenApiDocument, TheDeclarationBecomesTheOperation) {
  const auto& list = operation("/api/products", "get");
  EXPECT_EQ(list.at("summary"), "List products");
  EXPECT_EQ(list.at("operationId"), "getApiProducts");
  EXPECT_EQ(list.at("security"), json::parse(R"([{"bearer": []}])"));
  EXPECT_EQ(list.at("parameters"), json::parse(R"([
    {"name": "q", "in": "query", "required": false, "schema": {"type": "string", "maxLength": 10},
     "description": "Search."},
    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 100},
     "description": "How many results per page (default 20)."},
    {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0},
     "description": "How many results to skip (default 0)."}])"));
  EXPECT_EQ(
      list.at("responses").at("200").at("content").at("application/json").at("schema").at("allOf").at(0),
      json::parse(R"({"$ref": "#/components/schemas/Page"})"));
  const auto& one = operation("/api/products/{id}", "get");
  EXPECT_EQ(one.at("operationId"), "getProduct");
  EXPECT_EQ(one.at("security"), json::array{});  // public: no token
  EXPECT_TRUE(one.at("responses").as_object().contains("304"));
}

TEST_F(OpenApiDocument, PathParametersHaveTypesAndExamples) {
  const auto& patch = operation("/api/stores/{slug}/members/{id}", "patch");
  EXPECT_EQ(patch.at("operationId"), "patchApiStoresSlugMembersId");
  EXPECT_EQ(patch.at("parameters"), json::parse(R"([
    {"name": "slug", "in": "path", "required": true,
     "schema": {"type": "string", "minLength": 1, "maxLength": 63, "examples": ["acme"]},
     "description": "The store.", "example": "acme"},
    {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0, "examples": [1]},
     "example": 1}])"));
}

TEST_F(OpenApiDocument, BodiesAndAnswersReferToComponents) {
  const auto& create = operation("/api/products", "post");
  EXPECT_EQ(create.at("requestBody").at("content").at("application/json").at("schema"),
            json::parse(R"({"$ref": "#/components/schemas/ItemCreate"})"));
  EXPECT_EQ(create.at("responses").at("201").at("content").at("application/json").at("schema"),
            json::parse(R"({"$ref": "#/components/schemas/Item"})"));
  const auto& schemas = document.at("components").at("schemas");
  EXPECT_EQ(schemas.at("Item").at("required"), json::parse(R"(["id", "name"])"));
  EXPECT_EQ(schemas.at("ItemCreate").at("required"), json::parse(R"(["name"])"));
}

TEST_F(OpenApiDocument, ProblemsAreListedByStatus) {
  const auto& responses = operation("/api/products", "post").at("responses");
  const auto types = [&](const char* status) {
    return responses.at(status)
        .at("content")
        .at("application/problem+json")
        .at("schema")
        .at("allOf")
        .at(1)
        .at("properties")
        .at("type")
        .at("enum");
  };
  EXPECT_EQ(types("409"), json::parse(R"(["https://tenantry.dev/problems/name-taken"])"));
  EXPECT_EQ(types("400"), json::parse(R"(["https://tenantry.dev/problems/invalid-json",
                                          "https://tenantry.dev/problems/validation-error",
                                          "https://tenantry.dev/problems/bad-request"])"));
  EXPECT_FALSE(responses.as_object().contains("401"));  // public
  EXPECT_TRUE(responses.as_object().contains("503"));
  const auto& list = operation("/api/products", "get").at("responses").as_object();
  EXPECT_TRUE(list.contains("401"));
  EXPECT_TRUE(list.contains("403"));
}

TEST(OpenApiServers, TheServerIsSplicedIn) {
  EXPECT_EQ(with_server(R"({"openapi":"3.1.0"})", "http://a.localhost/t/x"),
            R"({"servers":[{"url":"http://a.localhost/t/x"}],"openapi":"3.1.0"})");
}

}  // namespace
}  // namespace tenantry::web

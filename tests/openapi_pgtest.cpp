// GET /api/openapi.json documents every route of its table, on the public host and on tenant hosts.
#include "apps/routes.hpp"
#include "tenant_test_case.hpp"
#include "tenantry/web/openapi.hpp"

namespace tenantry {
namespace {

using testing::json;

class OpenApiTest : public testing::TenantTestCase {};

TEST_F(OpenApiTest, EveryRouteOfBothTablesIsDocumented) {
  const web::Routes declared = apps::all_routes(config, testing::tenant_plan());
  const std::pair<const web::RouteTable*, std::string> tables[] = {{&declared.public_routes, "localhost"},
                                                                   {&declared.tenant_routes, host()}};
  for (const auto& [table, hostname] : tables) {
    auto response = request("GET", "/api/openapi.json", {"Host: " + hostname});
    ASSERT_EQ(response.status, 200) << hostname;
    const auto doc = json(response);
    EXPECT_EQ(doc.at("openapi"), "3.1.0");
    const auto& paths = doc.at("paths").as_object();
    ASSERT_GT(table->routes().size(), 0u);
    for (std::size_t i = 0; i < table->routes().size(); ++i) {
      const auto& route = table->routes()[i];
      if (table->handler(i).operation.undocumented) continue;  // the console's files
      std::string method;
      for (char c : route.method) method += static_cast<char>(std::tolower(c));
      const auto* path = paths.if_contains(web::openapi_path(route.path_template));
      ASSERT_NE(path, nullptr) << route.path_template << " on " << hostname;
      EXPECT_TRUE(path->as_object().contains(method)) << route.method << " " << route.path_template;
      for (const auto& param : route.params) {
        bool listed = false;
        for (const auto& p : path->at(method).at("parameters").as_array())
          listed |= p.at("name") == param.name.c_str();
        EXPECT_TRUE(listed) << param.name << " of " << route.path_template;
      }
    }
    EXPECT_TRUE(paths.contains("/api/openapi.json"));
  }
}

// The document names where it was read, who needs a token, and the bodies the server asks for.
TEST_F(OpenApiTest, ServersSecurityAndDeclaredBodies) {
  const auto store = json(request("GET", "/api/openapi.json", {"Host: " + host()}));
  EXPECT_EQ(store.at("servers").at(0).at("url"), ("http://" + host()).c_str());
  const auto& paths = store.at("paths");
  EXPECT_EQ(paths.at("/api/auth/login").at("post").at("security"), boost::json::array{});
  EXPECT_EQ(paths.at("/api/products").at("get").at("security").at(0).at("bearer"), boost::json::array{});
  EXPECT_EQ(paths.at("/api/products").at("post").at("operationId"), "createProduct");
  const auto& schemas = store.at("components").at("schemas");
  EXPECT_EQ(schemas.at("Product").at("properties").at("price_cents").at("type"), "integer");
  EXPECT_EQ(schemas.at("ProductCreate").at("required"), (boost::json::array{"sku", "name", "price_cents"}));
  EXPECT_TRUE(schemas.as_object().contains("Page"));

  // Under the path prefix, the server is the prefix.
  const auto platform = json(request("GET", "/api/openapi.json", {"Host: localhost"}));
  const auto& drop = platform.at("paths").at("/admin/api/tenants/{slug}").at("delete");
  EXPECT_EQ(drop.at("requestBody").at("content").at("application/json").at("schema").at("$ref"),
            "#/components/schemas/DropConfirmation");
  EXPECT_EQ(platform.at("components").at("schemas").at("DropConfirmation").at("required"),
            boost::json::array{"confirm"});
  EXPECT_EQ(platform.at("paths").at("/api/signup").at("post").at("security"), boost::json::array{});
  EXPECT_EQ(drop.at("parameters").at(0).at("example"), "northwind");
}

// GET /api/docs: a page of ours that renders the document beside it, on every host.
TEST_F(OpenApiTest, DocsPageRendersTheDocumentBesideIt) {
  for (const std::string& hostname : {std::string("localhost"), host()}) {
    const auto page = request("GET", "/api/docs", {"Host: " + hostname});
    ASSERT_EQ(page.status, 200) << hostname;
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(page.body.find(R"(fetch("openapi.json"))"), std::string::npos);
    EXPECT_NE(page.header("content-security-policy").find("connect-src 'self'"), std::string::npos);
  }
}

// Declared access is enforced before the handler: no token, then too small a role.
TEST_F(OpenApiTest, TheDeclaredAccessIsEnforced) {
  EXPECT_EQ(get("/api/products", "").status, 401);
  EXPECT_EQ(post("/api/products", {{"sku", "A"}, {"name", "B"}, {"price_cents", 1}}, "viewer").status, 403);
  EXPECT_EQ(request("GET", "/admin/api/tenants", {"Host: localhost"}).status, 401);
}

}  // namespace
}  // namespace tenantry

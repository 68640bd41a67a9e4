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
    for (const auto& route : table->routes()) {
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

}  // namespace
}  // namespace tenantry

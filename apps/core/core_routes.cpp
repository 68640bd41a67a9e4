#include "apps/core/core_routes.hpp"

#include <boost/json.hpp>

#include "tenantry/tenancy/tenant_json.hpp"

namespace tenantry::apps::core {

void register_routes(web::Routes& routes) {
  routes.public_routes.add("GET", "/api/",
                           [](web::RequestContext&) -> Task<http::Response> {
                             co_return http::Response::json(
                                 200,
                                 {{"message", "API running on the public schema"}, {"schema", "public"}});
                           },
                           {.summary = "Public API root", .tags = {"core"}});
  routes.tenant_routes.add(
      "GET", "/api/",
      [](web::RequestContext& ctx) -> Task<http::Response> {
        auto tenant = tenancy::to_json(*ctx.tenant);
        tenant.erase("settings");
        co_return http::Response::json(
            200, {{"message", "API running on tenant: " + ctx.tenant->name}, {"tenant", std::move(tenant)}});
      },
      {.summary = "Tenant API root", .tags = {"core"}});
}

}  // namespace tenantry::apps::core

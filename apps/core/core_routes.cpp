#include "apps/core/core_routes.hpp"

#include <boost/json.hpp>

namespace tenantry::apps::core {

void register_routes(web::Routes& routes) {
  for (auto* table : {&routes.public_routes, &routes.tenant_routes}) {
    table->describe_tag("core", "Where to start.");
    table->describe_tag("meta", "This API's own documentation.");
  }
  routes.public_routes.add(
      "GET", "/api/",
      [](web::RequestContext&) -> Task<http::Response> {
        co_return http::Response::json(
            200, {{"message", "API running on the public schema"}, {"schema", "public"}});
      },
      {.summary = "Public API root",
       .tags = {"core"},
       .operation_id = "getPublicRoot",
       .replies = {
           {200, web::Schema::object({{"message", web::Schema::string()}, {"schema", web::Schema::string()}})
                     .named("PublicRoot")}}});
  routes.tenant_routes.add(
      "GET", "/api/",
      [](web::RequestContext& ctx) -> Task<http::Response> {
        // What any visitor needs to start: the store's name and where to go. Its id, schema, plan, state and
        // domains are internals, for the platform admin API only. The links are relative references, so
        // they resolve under /t/<slug>/api/ as well as /api/.
        boost::json::object links{{"openapi", "openapi.json"},
                                  {"login", "auth/login"},
                                  {"me", "me"},
                                  {"products", "products"},
                                  {"tickets", "tickets"}};
        co_return http::Response::json(200, {{"name", ctx.tenant->name}, {"links", std::move(links)}});
      },
      {.summary = "Tenant API root",
       .description = "The store's name and relative links to start from.",
       .tags = {"core"},
       .operation_id = "getTenantRoot",
       .replies = {
           {200, web::Schema::object({{"name", web::Schema::string()},
                                      {"links", web::Schema::object({{"openapi", web::Schema::string()},
                                                                     {"login", web::Schema::string()},
                                                                     {"me", web::Schema::string()},
                                                                     {"products", web::Schema::string()},
                                                                     {"tickets", web::Schema::string()}})}})
                     .named("TenantRoot")}}});
}

}  // namespace tenantry::apps::core

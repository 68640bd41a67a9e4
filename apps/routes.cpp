#include "apps/routes.hpp"

#include "apps/core/core_routes.hpp"
#include "apps/registry.hpp"
#include "tenantry/mail/mailer.hpp"

namespace tenantry::apps {

web::Routes all_routes(const Config& config, const migrations::MigrationPlan& tenant_plan) {
  web::Routes routes;
  web::AppContext context{.routes = routes,
                          .config = config,
                          .tenant_plan = tenant_plan,
                          .installed = installed(),
                          .auth = std::make_shared<auth::AuthService>(config),
                          .mailer = std::make_shared<mail::Mailer>(config)};
  routes.auth = context.auth;
  core::register_routes(routes);
  for (const web::AppDescriptor* app : descriptors()) {
    app->register_routes(context);
    routes.add_constraint_problems(app->constraint_problems);
  }
  return routes;
}

}  // namespace tenantry::apps

#include "apps/routes.hpp"

#include "apps/accounts/accounts_app.hpp"
#include "apps/admin/admin_app.hpp"
#include "apps/catalog/catalog_app.hpp"
#include "apps/core/core_routes.hpp"
#include "apps/registry.hpp"
#include "apps/service/service_app.hpp"

namespace tenantry::apps {

web::Routes all_routes(const Config& config, const migrations::MigrationPlan& tenant_plan) {
  web::Routes routes;
  auto auth = std::make_shared<auth::AuthService>(config);
  auto mailer = std::make_shared<mail::Mailer>(config);
  core::register_routes(routes);
  accounts::register_routes(routes, auth, mailer, tenant_plan);
  catalog::register_routes(routes, auth);
  service::register_routes(routes, auth);
  admin::register_routes(routes, auth, mailer, installed(), tenant_plan);
  return routes;
}

}  // namespace tenantry::apps

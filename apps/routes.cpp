#include "apps/routes.hpp"

#include "apps/core/core_routes.hpp"

namespace tenantry::apps {

web::Routes all_routes() {
  web::Routes routes;
  core::register_routes(routes);
  return routes;
}

}  // namespace tenantry::apps

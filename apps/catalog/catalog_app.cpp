#include "apps/catalog/catalog_app.hpp"

#include <array>

#include "tenantry/mail/mailer.hpp"

namespace tenantry::apps::catalog {

namespace {
void register_with(web::AppContext& c) {
  register_routes(c.routes, c.auth);
}
constexpr std::array kRoles{auth::Role::kViewer, auth::Role::kStaff};
}  // namespace

const web::AppDescriptor& descriptor() {
  static const web::AppDescriptor kDescriptor{.name = "catalog",
                                              .migrations = app(),
                                              .register_routes = &register_with,
                                              .roles = kRoles,
                                              .constraint_problems = constraint_problems()};
  return kDescriptor;
}

}  // namespace tenantry::apps::catalog

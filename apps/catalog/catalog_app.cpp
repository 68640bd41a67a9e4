#include "apps/catalog/catalog_app.hpp"

#include <array>

namespace tenantry::apps::catalog {

namespace {
constexpr std::array kRoles{auth::Role::kViewer, auth::Role::kStaff};
}  // namespace

const web::AppDescriptor& descriptor() {
  static const web::AppDescriptor kDescriptor{.name = "catalog",
                                              .migrations = app(),
                                              .register_routes = &web::register_only<&register_routes>,
                                              .roles = kRoles,
                                              .constraint_problems = constraint_problems()};
  return kDescriptor;
}

}  // namespace tenantry::apps::catalog

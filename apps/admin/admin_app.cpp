#include "apps/admin/admin_app.hpp"

#include <array>

#include "tenantry/mail/mailer.hpp"

namespace tenantry::apps::admin {

namespace {
void register_with(web::AppContext& c) {
  register_routes(c.routes, c.auth, c.mailer, c.installed, c.tenant_plan);
}
constexpr std::array<auth::Role, 0> kRoles{};  // platform admins only: not a store role
}  // namespace

const web::AppDescriptor& descriptor() {
  static const web::AppDescriptor kDescriptor{
      .name = "admin", .migrations = app(), .register_routes = &register_with, .roles = kRoles};
  return kDescriptor;
}

}  // namespace tenantry::apps::admin

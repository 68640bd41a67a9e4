#include "apps/accounts/accounts_app.hpp"

#include <array>

#include "tenantry/mail/mailer.hpp"

namespace tenantry::apps::accounts {

namespace {
void register_with(web::AppContext& c) {
  register_routes(c.routes, c.auth, c.mailer, c.tenant_plan);
}
constexpr std::array kRoles{auth::Role::kViewer, auth::Role::kAdmin, auth::Role::kOwner};
}  // namespace

const web::AppDescriptor& descriptor() {
  static const web::AppDescriptor kDescriptor{.name = "accounts",
                                              .migrations = app(),
                                              .register_routes = &register_with,
                                              .roles = kRoles,
                                              .constraint_problems = constraint_problems()};
  return kDescriptor;
}

}  // namespace tenantry::apps::accounts

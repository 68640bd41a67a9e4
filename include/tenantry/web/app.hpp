#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/core/config.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/constraint_problems.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::mail {
class Mailer;  // apps may use mail; web only passes it on
}

namespace tenantry::web {

/// What an app's routes get when they are registered: the tables to add them to and the services shared by
/// the apps. Everything referenced must outlive the routes.
struct AppContext {
  Routes& routes;
  const Config& config;
  /// The tenant migrations of every installed app (e.g. for provisioning a tenant).
  const migrations::MigrationPlan& tenant_plan;
  /// The installed apps' migrations, in the order they run.
  std::span<const migrations::App* const> installed;
  std::shared_ptr<auth::AuthService> auth;
  std::shared_ptr<mail::Mailer> mailer;
};

/// AppDescriptor::register_routes for an app whose routes need nothing but the tables (their operations'
/// Access is checked by dispatch): `.register_routes = &web::register_only<&register_routes>`.
template <void (*Register)(Routes&)>
void register_only(AppContext& context) {
  Register(context.routes);
}

/// Everything an app declares about itself, exported by the app as `descriptor()` and listed in the
/// generated registry by tenantry_add_app() (cmake/TenantryModules.cmake), in declaration order.
struct AppDescriptor {
  std::string_view name;
  const migrations::App& migrations;
  void (*register_routes)(AppContext& context);
  /// The roles its tenant routes ask for (auth::AuthService::require).
  std::span<const auth::Role> roles = {};
  /// Its constraints mapped to problems (tenantry/web/constraint_problems.hpp): dispatch answers every
  /// integrity violation from the installed apps' tables.
  std::span<const ConstraintProblem> constraint_problems = {};
};

}  // namespace tenantry::web

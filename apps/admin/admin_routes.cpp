// The platform admin API: its log-in and log-out here, each resource in a file of its own (tenant_routes,
// domain_routes, migration_routes, audit_routes, user_routes) and the console's files (console_routes).
#include <boost/json.hpp>

#include "apps/accounts/account_flows.hpp"
#include "apps/accounts/account_problems.hpp"
#include "apps/admin/admin_app.hpp"
#include "apps/admin/admin_state.hpp"
#include "tenantry/db/session.hpp"

namespace tenantry::apps::admin {

namespace {

using auth::Principal;
using http::Response;
using web::RequestContext;
using web::Schema;

constexpr http::ProblemType<403> kNotAPlatformAdmin{"not-a-platform-admin", "Not a platform admin"};

Task<Response> login(RequestContext& ctx, const AdminState& state) {
  const auto email = ctx.body.string("email");
  const auto password = ctx.body.string("password");
  const db::Session throttled(ctx.pool);
  const auto rules = accounts::login_rules(ctx.config, ctx.request.remote_address, *email);
  co_await auth::throttle(throttled, rules);
  const db::Session public_db(ctx.pool);
  auto rows = co_await public_db.query(
      "SELECT id, password_hash, is_platform_admin, is_disabled FROM users WHERE email = $1", *email);
  std::string hash = rows.empty() ? std::string() : rows.one().get<std::string>(1);
  const bool valid = co_await state.auth->verify_password(std::move(hash), *password);
  if (rows.empty() || !valid || rows.one().get<bool>(3)) accounts::invalid_credentials();
  if (!rows.one().get<bool>(2))
    throw http::Forbidden(kNotAPlatformAdmin, "This account cannot administer the platform.");
  const auto token = state.auth->issue(rows.one().get<auth::UserId>(0), 0, auth::Role::kOwner);
  co_return Response::json(
      200, {{"token", token.token},
            {"token_type", "Bearer"},
            {"expires_at", db::format_rfc3339(db::Timestamp{std::chrono::seconds{token.expires_at}})},
            {"email", *email}});
}

}  // namespace

void register_routes(web::Routes& routes, std::shared_ptr<auth::AuthService> auth,
                     std::shared_ptr<mail::Mailer> mailer, std::span<const migrations::App* const> apps,
                     const migrations::MigrationPlan& tenant_plan) {
  auto state = std::make_shared<AdminState>(auth, std::move(mailer), apps, tenant_plan);
  auto& r = routes.public_routes;
  r.describe_tag("admin", "The platform admin API: tenants, domains, users, migrations and the audit log.");
  register_console_routes(r);
  r.add("POST", "/admin/api/auth/login", [state](RequestContext& ctx) { return login(ctx, *state); },
        {.summary = "Log in as a platform admin",
         .tags = {"admin"},
         .operation_id = "adminLogin",
         .body = accounts::credentials_schema(),
         .replies = {{200, accounts::token_schema({{"email", Schema::email()}}, "AdminLogin"),
                      "A platform-admin token"}},
         .problems = {accounts::kInvalidCredentials, kNotAPlatformAdmin,
                      http::problem_types::kTooManyRequests}});
  r.add("POST", "/admin/api/auth/logout",
        [state](RequestContext& ctx) -> Task<Response> {
          co_await state->auth->revoke_token(ctx.db, ctx.who());
          co_return Response::empty(204);
        },
        {.summary = "Revoke the platform-admin token used",
         .tags = {"admin"},
         .operation_id = "adminLogout",
         .access = web::Access::platform_admin(),
         .replies = {{204, std::nullopt, "Revoked"}}});
  register_user_routes(r, state->auth);
  register_tenant_routes(r, state);
  register_domain_routes(r, state);
  register_maintenance_routes(r, state);
  register_migration_routes(r, state);
  register_audit_routes(r);
}

}  // namespace tenantry::apps::admin

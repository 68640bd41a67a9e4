#pragma once

#include <memory>
#include <span>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/mail/mailer.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/app.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::accounts {

/// Global users and their memberships (shared app, in public).
const migrations::App& app();

/// How violations of this app's constraints answer (see web::ConstraintProblem); in its descriptor.
std::span<const web::ConstraintProblem> constraint_problems();

/// The app as the registry lists it: name, migrations, routes, roles (apps/accounts/accounts_app.cpp).
const web::AppDescriptor& descriptor();

/// Public: signup, stores, e-mail verification, password reset, invitations; tenant: login, logout, me,
/// members and invitations.
void register_routes(web::Routes& routes, std::shared_ptr<auth::AuthService> auth,
                     std::shared_ptr<mail::Mailer> mailer, const migrations::MigrationPlan& tenant_plan);

/// Creates a user or, when the e-mail exists, returns its id (the password is then ignored). For seeding.
Task<std::int64_t> ensure_user(db::Session& db, auth::AuthService& auth, std::string email,
                               std::string password, std::string display_name);

}  // namespace tenantry::apps::accounts

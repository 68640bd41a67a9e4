#pragma once

#include <memory>
#include <span>

#include "apps/accounts/auth_service.hpp"
#include "tenantry/mail/mailer.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::accounts {

/// Global users and their memberships (shared app, in public).
const migrations::App& app();

/// How violations of this app's constraints answer (see web::ConstraintProblem).
std::span<const web::ConstraintProblem> constraint_problems();

/// Public: signup, stores, e-mail verification, password reset, invitations; tenant: login, logout, me,
/// members and invitations.
void register_routes(web::Routes& routes, std::shared_ptr<AuthService> auth,
                     std::shared_ptr<mail::Mailer> mailer, const migrations::MigrationPlan& tenant_plan);

/// Creates a user or, when the e-mail exists, returns its id (the password is then ignored). For seeding.
Task<std::int64_t> ensure_user(db::Session& db, AuthService& auth, std::string email, std::string password,
                               std::string display_name);

}  // namespace tenantry::apps::accounts

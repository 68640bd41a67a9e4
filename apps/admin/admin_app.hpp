#pragma once

#include <memory>
#include <span>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/mail/mailer.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/app.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::admin {

/// The audit log of platform administration (shared app, in public).
const migrations::App& app();

/// The app as the registry lists it: name, migrations, routes, roles (apps/admin/admin_app.cpp).
const web::AppDescriptor& descriptor();

/// The platform admin API under /admin/api/ on the public host: tenants, domains, migrations, audit log.
/// Only platform admins (users.is_platform_admin) can log in; every action is written to the audit log.
/// `mailer` sends the owner invitations of tenants created with an "owner".
void register_routes(web::Routes& routes, std::shared_ptr<auth::AuthService> auth,
                     std::shared_ptr<mail::Mailer> mailer, std::span<const migrations::App* const> apps,
                     const migrations::MigrationPlan& tenant_plan);

}  // namespace tenantry::apps::admin

#pragma once

#include <memory>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::catalog {

/// TechStore's product catalog (tenant app).
const migrations::App& app();

/// The products API (tenant routes): list with filters, ordering and pages; create, read, replace, update and
/// delete. Viewers read; staff and up write.
void register_routes(web::Routes& routes, std::shared_ptr<auth::AuthService> auth);

}  // namespace tenantry::apps::catalog

#pragma once

#include <memory>
#include <span>

#include "apps/accounts/auth_service.hpp"
#include "tenantry/core/strong_id.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/web/constraint_problems.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::catalog {

/// TechStore's product catalog (tenant app).
const migrations::App& app();

/// The id of a product (a row of its store's products table).
using ProductId = StrongId<struct ProductTag>;

/// How violations of this app's constraints answer (see web::ConstraintProblem).
std::span<const web::ConstraintProblem> constraint_problems();

/// The products API (tenant routes): list with filters, ordering and pages; create, read, replace, update and
/// delete. Viewers read; staff and up write.
void register_routes(web::Routes& routes, std::shared_ptr<accounts::AuthService> auth);

}  // namespace tenantry::apps::catalog

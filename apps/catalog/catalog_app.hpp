#pragma once

#include <memory>
#include <span>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/core/strong_id.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/web/app.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::catalog {

/// TechStore's product catalog (tenant app).
const migrations::App& app();

/// The id of a product (a row of its store's products table).
using ProductId = StrongId<struct ProductTag>;

/// How violations of this app's constraints answer (see web::ConstraintProblem); in its descriptor.
std::span<const web::ConstraintProblem> constraint_problems();

/// The app as the registry lists it: name, migrations, routes, roles (apps/catalog/catalog_app.cpp).
const web::AppDescriptor& descriptor();

/// The products API (tenant routes): list with filters, ordering and pages; create, read, replace, update and
/// delete. Viewers read; staff and up write.
void register_routes(web::Routes& routes);

}  // namespace tenantry::apps::catalog

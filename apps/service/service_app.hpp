#pragma once

#include <memory>
#include <span>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/core/strong_id.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/web/app.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::service {

/// TechStore's technical service: repair tickets and their history (tenant app; after catalog, since a
/// ticket may name a product).
const migrations::App& app();

/// The id of a ticket (a row of its store's tickets table).
using TicketId = StrongId<struct TicketTag>;

/// How violations of this app's constraints answer (see web::ConstraintProblem); in its descriptor.
std::span<const web::ConstraintProblem> constraint_problems();

/// The app as the registry lists it: name, migrations, routes, roles (apps/service/service_app.cpp).
const web::AppDescriptor& descriptor();

/// The tickets API (tenant routes): list, create, read, update, status transitions and notes. Viewers read;
/// staff and up write.
void register_routes(web::Routes& routes);

}  // namespace tenantry::apps::service

#pragma once

#include <memory>
#include <span>

#include "apps/accounts/auth_service.hpp"
#include "tenantry/core/strong_id.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/web/constraint_problems.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::service {

/// TechStore's technical service: repair tickets and their history (tenant app; after catalog, since a
/// ticket may name a product).
const migrations::App& app();

/// The id of a ticket (a row of its store's tickets table).
using TicketId = StrongId<struct TicketTag>;

/// How violations of this app's constraints answer (see web::ConstraintProblem).
std::span<const web::ConstraintProblem> constraint_problems();

/// The tickets API (tenant routes): list, create, read, update, status transitions and notes. Viewers read;
/// staff and up write.
void register_routes(web::Routes& routes, std::shared_ptr<accounts::AuthService> auth);

}  // namespace tenantry::apps::service

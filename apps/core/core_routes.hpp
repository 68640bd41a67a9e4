#pragma once

#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::core {

/// The API roots: `GET /api/` on the public host and on every tenant.
void register_routes(web::Routes& routes);

}  // namespace tenantry::apps::core

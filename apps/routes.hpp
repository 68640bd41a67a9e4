#pragma once

#include "tenantry/web/request_context.hpp"

namespace tenantry::apps {

/// Every installed app's routes, in the public and the tenant table.
web::Routes all_routes();

}  // namespace tenantry::apps

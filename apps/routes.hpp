#pragma once

#include "tenantry/core/config.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps {

/// Every installed app's routes, in the public and the tenant table. `config` and `tenant_plan` must outlive
/// the routes.
web::Routes all_routes(const Config& config, const migrations::MigrationPlan& tenant_plan);

}  // namespace tenantry::apps

#pragma once

#include <string>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/migrations/migration_plan.hpp"

namespace tenantry::apps::demo {

/// Creates the demo stores (northwind, acme, globex on <slug>.<base_domain>) with their data; stores that
/// already exist are left alone. Returns the slugs created.
Task<std::vector<std::string>> seed(db::Pool& pool, const migrations::MigrationPlan& tenant_plan,
                                    const std::string& base_domain);

}  // namespace tenantry::apps::demo

#pragma once

#include <string>
#include <vector>

#include "tenantry/core/config.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/migrations/migration_plan.hpp"

namespace tenantry::apps::demo {

/// The password of every demo account (they are printed by `make run`; never use them in production).
inline constexpr const char* kDemoPassword = "tenantry-demo";

/// Creates the demo stores (northwind, acme, globex on <slug>.<base_domain>) with an owner each
/// (owner@<slug>.demo), one person in two stores with different roles (sam@techstore.demo: staff at
/// northwind, admin at acme), products and repair tickets in every state. Stores that already exist are left
/// alone. Returns the slugs created.
Task<std::vector<std::string>> seed(db::Pool& pool, const migrations::MigrationPlan& tenant_plan,
                                    const Config& config);

}  // namespace tenantry::apps::demo

#pragma once

#include "tenantry/migrations/app.hpp"

namespace tenantry::apps::catalog {

/// TechStore's product catalog (tenant app).
const migrations::App& app();

}  // namespace tenantry::apps::catalog

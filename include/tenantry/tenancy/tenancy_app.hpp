#pragma once

#include "tenantry/migrations/app.hpp"

namespace tenantry::tenancy {

/// The shared app holding the tenant catalog (src/tenancy/migrations/shared).
const migrations::App& app();

}  // namespace tenantry::tenancy

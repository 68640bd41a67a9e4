#pragma once

#include <boost/json/object.hpp>

#include "tenantry/tenancy/tenant.hpp"

namespace tenantry::tenancy {

/// The JSON form of a tenant used by the CLI (`--json`) and the HTTP APIs.
boost::json::object to_json(const Tenant& tenant);

}  // namespace tenantry::tenancy

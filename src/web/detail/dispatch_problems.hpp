#pragma once

#include "tenantry/http/problem.hpp"

// The problems that dispatch answers for every operation, whatever its handler: defined once, for the answers
// (dispatch.cpp) and for the OpenAPI document (openapi.cpp).
namespace tenantry::web::detail {

inline constexpr http::ProblemType<400> kInvalidJson{"invalid-json", "Invalid JSON"};
inline constexpr http::ProblemType<403> kTenantSuspended{"tenant-suspended", "Tenant suspended"};
inline constexpr http::ProblemType<404> kTenantNotFound{"tenant-not-found", "Tenant not found"};
inline constexpr http::ProblemType<412> kPreconditionFailed{"precondition-failed", "Precondition Failed"};
// The 503s: each says when to retry (Retry-After), since the request may well succeed then.
inline constexpr http::ProblemType<503> kDatabaseTimeout{"database-timeout", "Database timeout"};
inline constexpr http::ProblemType<503> kDatabaseUnavailable{"database-unavailable", "Database unavailable"};
inline constexpr http::ProblemType<503> kDatabaseBusy{"database-busy", "Service busy"};
inline constexpr http::ProblemType<503> kTenantMigrating{"tenant-migrating", "Tenant migrating"};
inline constexpr http::ProblemType<503> kTenantMaintenance{"tenant-maintenance", "Tenant in maintenance"};
inline constexpr http::ProblemType<503> kTenantUnavailable{"tenant-unavailable", "Tenant unavailable"};
inline constexpr http::ProblemType<503> kTenantProvisioning{"tenant-provisioning", "Tenant not ready"};

}  // namespace tenantry::web::detail

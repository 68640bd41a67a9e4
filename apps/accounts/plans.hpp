#pragma once

#include <cstdint>
#include <string_view>

#include "tenantry/core/config.hpp"
#include "tenantry/tenancy/tenant.hpp"

namespace tenantry::apps::accounts {

/// Which limit of a plan: products in the catalog, or members of the store.
enum class PlanLimit { kProducts, kMembers };

/// The first key of the transaction-level advisory lock that makes one store's creations take turns while a
/// count is checked against its plan, the second being hashtext(<schema>): a tenant role can take it, where
/// it may not lock the store's catalog row. 'PLAN'.
inline constexpr std::int32_t kPlanLimitLockClass = 0x504c414e;

/// Throws ProblemError 403 `plan-limit-reached`, naming the limit, when adding one more would exceed the
/// tenant's plan. An unknown plan name counts as unlimited only if configured so: it is refused (403) too.
void check_plan_limit(const Config& config, const tenancy::Tenant& tenant, PlanLimit limit,
                      std::int64_t current);

}  // namespace tenantry::apps::accounts

#include "apps/accounts/plans.hpp"

#include "apps/accounts/account_problems.hpp"

#include "tenantry/web/schema.hpp"

namespace tenantry::apps::accounts {

void check_plan_limit(const Config& config, const tenancy::Tenant& tenant, PlanLimit limit,
                      std::int64_t current) {
  auto plan = config.plans.find(tenant.plan);
  if (plan == config.plans.end())
    throw http::Forbidden(kPlanLimitReached, "The plan '" + tenant.plan + "' is not configured.");
  const auto& max = limit == PlanLimit::kProducts ? plan->second.max_products : plan->second.max_members;
  if (max && current >= *max) {
    const char* name = limit == PlanLimit::kProducts ? "max_products" : "max_members";
    throw http::Forbidden(kPlanLimitReached,
                          "The " + tenant.plan + " plan allows " + std::to_string(*max) + " " +
                              (limit == PlanLimit::kProducts ? "products" : "members") + ".",
                          {{"limit", name}, {"max", *max}, {"plan", tenant.plan}});
  }
}

}  // namespace tenantry::apps::accounts

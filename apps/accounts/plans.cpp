#include "apps/accounts/plans.hpp"

#include "tenantry/web/json_input.hpp"

namespace tenantry::apps::accounts {

void check_plan_limit(const Config& config, const tenancy::Tenant& tenant, PlanLimit limit,
                      std::int64_t current) {
  auto plan = config.plans.find(tenant.plan);
  if (plan == config.plans.end())
    web::fail(403, "plan-limit-reached", "Plan limit reached",
              "The plan '" + tenant.plan + "' is not configured.");
  const auto& max = limit == PlanLimit::kProducts ? plan->second.max_products : plan->second.max_members;
  if (max && current >= *max) {
    const char* name = limit == PlanLimit::kProducts ? "max_products" : "max_members";
    http::Problem p{.type = "plan-limit-reached",
                    .title = "Plan limit reached",
                    .status = 403,
                    .detail = "The " + tenant.plan + " plan allows " + std::to_string(*max) + " " +
                              (limit == PlanLimit::kProducts ? "products" : "members") + "."};
    p.extra["limit"] = name;
    p.extra["max"] = *max;
    p.extra["plan"] = tenant.plan;
    throw http::ProblemError(std::move(p));
  }
}

}  // namespace tenantry::apps::accounts

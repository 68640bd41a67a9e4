// /admin/api/tenants/{slug}/maintenance: open and close a tenant's maintenance window (audited). While it is
// open the tenant's API answers 503 tenant-maintenance with Retry-After to all but platform admins.
#include <boost/json.hpp>

#include "apps/admin/admin_state.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::apps::admin {

namespace {

using web::RequestContext;
using web::Schema;

constexpr std::int64_t kDefaultRetryAfter = 300;

/// The window as the audit entry records it (and as the change reads it back).
boost::json::object window(RequestContext& ctx) {
  boost::json::object detail{{"retry_after", ctx.body.integer("retry_after").value_or(kDefaultRetryAfter)}};
  if (auto message = ctx.body.string("message")) detail["message"] = *message;
  return detail;
}

Task<void> start_maintenance(RequestContext& ctx, const db::SchemaName& schema,
                             const boost::json::object& detail) {
  std::optional<std::string> message;
  if (const auto* m = detail.if_contains("message")) message = std::string(m->as_string());
  const int retry_after = static_cast<int>(detail.at("retry_after").as_int64());
  tenancy::TenantCatalog catalog(ctx.pool);
  co_await catalog.start_maintenance(schema, retry_after, message);
}

Task<void> end_maintenance(RequestContext& ctx, const db::SchemaName& schema, const boost::json::object&) {
  tenancy::TenantCatalog catalog(ctx.pool);
  co_await catalog.end_maintenance(schema);
}

}  // namespace

void register_maintenance_routes(web::RouteTable& r, const std::shared_ptr<AdminState>& state) {
  tenant_change_route(
      r, state, "PUT", "/admin/api/tenants/{slug}/maintenance", "tenant.maintenance.start", start_maintenance,
      {.summary = "Put a tenant in maintenance (its API answers 503 with Retry-After)",
       .description = "Platform admins still get through. Sent again, it changes the window's `retry_after` "
                      "and `message` and keeps its start.",
       .tags = {"admin"},
       .operation_id = "adminStartMaintenance",
       .body = Schema::object(
                   {{"retry_after",
                     Schema::integer(1, 86400).describe("Seconds, the 503s' Retry-After (default 300)."),
                     web::Presence::kOptional},
                    {"message", Schema::line(1, 500).example("Moving to a bigger server."),
                     web::Presence::kOptional}})
                   .named("MaintenanceStart"),
       .body_required = false,
       .problems = {http::problem_types::kConflict}},
      window);
  tenant_change_route(
      r, state, "DELETE", "/admin/api/tenants/{slug}/maintenance", "tenant.maintenance.end", end_maintenance,
      {.summary = "End a tenant's maintenance", .tags = {"admin"}, .operation_id = "adminEndMaintenance"});
}

}  // namespace tenantry::apps::admin

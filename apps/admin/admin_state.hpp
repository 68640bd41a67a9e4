#pragma once

// What the admin API's resource files (tenants, domains, migrations, audit, users, console) share.
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>

#include "apps/accounts/account_flows.hpp"
#include "apps/admin/audit.hpp"
#include "tenantry/core/embedded_file.hpp"
#include "tenantry/db/schema_name.hpp"
#include "tenantry/migrations/app.hpp"
#include "tenantry/migrations/migration_plan.hpp"

namespace tenantry::apps::admin {

struct FleetRun;

/// What the admin handlers share.
struct AdminState {
  AdminState(std::shared_ptr<auth::AuthService> a, std::shared_ptr<mail::Mailer> mailer,
             std::span<const migrations::App* const> s, const migrations::MigrationPlan& plan)
      : auth(a), apps(s), tenant_plan(plan), accounts{std::move(a), std::move(mailer), plan} {}
  std::shared_ptr<auth::AuthService> auth;
  std::span<const migrations::App* const> apps;
  const migrations::MigrationPlan& tenant_plan;
  /// For the owner invitations of the tenants created here.
  accounts::Accounts accounts;
  std::mutex runs_mutex;
  std::map<std::int64_t, std::shared_ptr<FleetRun>> runs;
  std::int64_t next_run = 1;
};

/// The tenant named by the {slug} path parameter; 404 when it is no valid slug.
db::SchemaName slug_of(const web::RequestContext& ctx);

/// A tenant with domains, members, size, migrations and request counts.
Task<http::Response> tenant_detail(web::RequestContext& ctx, AdminState& state, const db::SchemaName& schema);
/// What tenant_detail() answers: "TenantDetail" in the document.
const web::Schema& tenant_detail_schema();
/// The {slug} placeholder of the tenant routes, for their declarations.
const web::Parameter& slug_parameter();

/// A change of one tenant; `detail` is what the audit entry records of it.
using TenantChange = std::function<Task<void>(web::RequestContext& ctx, const db::SchemaName& schema,
                                              const boost::json::object& detail)>;
/// The audit detail of a tenant change, read from the request before anything is recorded.
using DescribeChange = std::function<boost::json::object(web::RequestContext& ctx)>;

/// Adds an audited change of the tenant named by {slug}: the change runs, the catalog reloads (this process
/// serves the change at once) and the answer is the tenant's detail.
void tenant_change_route(web::RouteTable& routes, const std::shared_ptr<AdminState>& state,
                         std::string method, std::string_view path, std::string action, TenantChange change,
                         web::Operation operation, DescribeChange describe = {});

void register_console_routes(web::RouteTable& routes);
void register_tenant_routes(web::RouteTable& routes, const std::shared_ptr<AdminState>& state);
void register_domain_routes(web::RouteTable& routes, const std::shared_ptr<AdminState>& state);
void register_maintenance_routes(web::RouteTable& routes, const std::shared_ptr<AdminState>& state);
void register_migration_routes(web::RouteTable& routes, const std::shared_ptr<AdminState>& state);
void register_audit_routes(web::RouteTable& routes);

}  // namespace tenantry::apps::admin

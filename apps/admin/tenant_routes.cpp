// /admin/api/tenants: list, create, show, change, suspend, resume, archive and drop tenants. Every change is
// written to the audit log.
#include <boost/json.hpp>

#include "apps/admin/admin_state.hpp"
#include "apps/admin/tenant_owner.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_json.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/web/pagination.hpp"
#include "tenantry/web/tenant_schema.hpp"

namespace tenantry::apps::admin {

using auth::Principal;
using http::Response;
using web::Access;
using web::Presence;
using web::RequestContext;
using web::Schema;

db::SchemaName slug_of(const RequestContext& ctx) {
  const std::string slug(ctx.params.get("slug").value_or(""));
  if (!db::SchemaName::why_invalid(slug).empty()) throw http::NotFound("No tenant '" + slug + "'.");
  return db::SchemaName(slug);
}

Task<Response> tenant_detail(RequestContext& ctx, AdminState& state, const db::SchemaName& schema) {
  const tenancy::TenantCatalog catalog(ctx.pool);
  const tenancy::Tenant tenant = co_await catalog.get(schema);
  const db::Session public_db(ctx.pool);
  auto members = co_await public_db.query("SELECT count(*) FROM memberships WHERE tenant_id = $1", tenant.id);
  auto size = co_await public_db.query(
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')",
      schema);
  migrations::MigrationRunner runner(ctx.owner_pool, state.apps);
  const std::optional<db::SchemaName> only = schema;
  auto status = co_await runner.status(only);
  boost::json::array applied, pending, problems;
  for (const auto& a : status.at(0).applied)
    applied.push_back(
        {{"migration", a.app + "/" + a.name}, {"applied_at", db::rfc3339_from_text(a.applied_at)}});
  for (const auto& p : status.at(0).pending) pending.push_back(boost::json::value(p));
  for (const auto& p : status.at(0).problems) problems.push_back(boost::json::value(p));
  boost::json::array rate;
  for (auto n : ctx.metrics.tenant_rate(schema.str(), 60)) rate.push_back(n);
  auto body = tenancy::to_json(tenant);
  body["member_count"] = members.one().get<std::int64_t>(0);
  body["schema_size_bytes"] = size.one().get<std::int64_t>(0);
  body["migrations"] = {
      {"applied", std::move(applied)}, {"pending", std::move(pending)}, {"problems", std::move(problems)}};
  body["requests"] = {{"total", ctx.metrics.tenant_requests(schema.str())},
                      {"per_minute_last_hour", std::move(rate)}};
  co_return Response::json(200, body);
}

const web::Schema& tenant_detail_schema() {
  static const Schema schema =
      web::tenant_schema()
          .extend(
              {{"member_count", Schema::integer(0)},
               {"schema_size_bytes", Schema::integer(0)},
               {"migrations", Schema::object({{"applied", Schema::array(Schema::object(
                                                              {{"migration", Schema::string()},
                                                               {"applied_at", Schema::timestamp()}}))},
                                              {"pending", Schema::array(Schema::string())},
                                              {"problems", Schema::array(Schema::string())}})},
               {"requests", Schema::object({{"total", Schema::integer(0)},
                                            {"per_minute_last_hour", Schema::array(Schema::integer(0))}})}})
          .describe("A tenant with its members, size, migrations and request counts.")
          .named("TenantDetail");
  return schema;
}

const web::Parameter& slug_parameter() {
  static const web::Parameter slug{"slug", Schema::string(1, 63).example("northwind"), "The tenant's slug."};
  return slug;
}

void tenant_change_route(web::RouteTable& routes, const std::shared_ptr<AdminState>& state,
                         std::string method, std::string_view path, std::string action, TenantChange change,
                         web::Operation operation, DescribeChange describe) {
  if (operation.path.empty()) operation.path = {slug_parameter()};
  operation.replies = {{200, tenant_detail_schema(), "The tenant as it is now"}};
  AuditedPrepare prepare = [state, change = std::move(change), describe = std::move(describe)](
                               RequestContext& ctx, const Principal&) -> Task<AuditedWork> {
    const db::SchemaName schema = slug_of(ctx);
    boost::json::object detail = describe ? describe(ctx) : boost::json::object();
    std::function<Task<Response>()> work = [&ctx, state, change, schema, detail]() -> Task<Response> {
      co_await change(ctx, schema, detail);
      co_await ctx.tenants.load(ctx.pool);
      co_return co_await tenant_detail(ctx, *state, schema);
    };
    co_return AuditedWork{schema.str(), std::move(detail), std::move(work)};
  };
  audited_route(routes, std::move(method), path, std::move(action), std::move(prepare), std::move(operation));
}

namespace {

Task<Response> list_tenants(RequestContext& ctx) {
  const auto page = web::Page::from(ctx.query);
  const auto q = ctx.query.string("q");
  const auto state = ctx.query.string("state");
  const auto plan = ctx.query.string("plan");
  const std::string where =
      " WHERE ($1::text IS NULL OR t.schema_name ILIKE '%' || $1 || '%' OR t.name ILIKE '%' || $1 || '%' OR "
      "EXISTS (SELECT 1 FROM domains d WHERE d.tenant_id = t.id AND d.domain ILIKE '%' || $1 || '%')) "
      "AND ($2::text IS NULL OR t.state = $2) AND ($3::text IS NULL OR t.plan = $3)";
  const std::string count_sql = "SELECT count(*) FROM tenants t" + where;
  const std::string ids_sql =
      "SELECT t.schema_name FROM tenants t" + where + " ORDER BY t.id LIMIT $4 OFFSET $5";
  const db::Session public_db(ctx.pool);
  auto count = co_await public_db.query(count_sql, q, state, plan);
  auto ids = co_await public_db.query(ids_sql, q, state, plan, page.limit, page.offset);
  const tenancy::TenantCatalog catalog(ctx.pool);
  boost::json::array results;
  for (auto row : ids) {
    const db::SchemaName schema(row.get<std::string_view>(0));
    auto tenant = co_await catalog.find(schema);
    if (tenant) results.push_back(tenancy::to_json(*tenant));
  }
  co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
}

/// The "domains" of a creation, each normalised and checked; 400 listing the invalid ones.
std::vector<tenancy::DomainName> requested_domains(const web::Input& body) {
  std::vector<tenancy::DomainName> domains;
  const auto* list = body.values().if_contains("domains");
  if (list == nullptr || !list->is_array()) return domains;
  std::vector<http::FieldError> errors;
  for (const auto& d : list->as_array()) {
    const std::string text(d.as_string());  // validated by domain_schema()
    const std::string normal = tenancy::DomainName::normalise(text);
    if (auto why = tenancy::DomainName::why_invalid(normal); !why.empty())
      errors.push_back({"domains", "'" + text + "': " + why + "."});
    else
      domains.emplace_back(normal);
  }
  if (!errors.empty()) throw http::Invalid(std::move(errors));
  return domains;
}

Task<Response> create_tenant(RequestContext& ctx, AdminState& state, const Principal& who) {
  const auto slug = ctx.body.string("slug");
  const auto name = ctx.body.string("name");
  const auto plan = ctx.body.string("plan");
  const auto owner_email = ctx.body.string("owner");
  tenancy::NewTenant request{db::SchemaName(*slug), *name, requested_domains(ctx.body),
                             plan.value_or("free")};
  if (request.domains.empty())
    request.domains.push_back(tenancy::default_domain(request.schema, ctx.config.tenancy.base_domain));
  tenancy::TenantProvisioner provisioner(ctx.owner_pool, state.tenant_plan, ctx.config.tenancy);
  // The owner (a verified account, or else an invitation) commits with the tenant or not at all.
  std::optional<TenantOwner> owner;
  tenancy::ActivationHook add_owner;
  if (owner_email) {
    owner.emplace(state.accounts, ctx.config, *owner_email, who.user_id.value);
    add_owner = owner->hook(request.name);
  }
  const tenancy::Tenant tenant = co_await provisioner.create(request, add_owner);
  if (owner) owner->deliver();
  co_await ctx.tenants.load(ctx.pool);
  auto created = tenancy::to_json(tenant);
  if (owner) created["owner"] = owner->to_json();
  co_return Response::json(201, created);
}

Task<AuditedWork> prepare_creation(RequestContext& ctx, const std::shared_ptr<AdminState>& state,
                                   const Principal& who) {
  // Each tenant is a schema: even an admin (or a stolen admin token) creates them at a bounded rate.
  const std::vector<auth::ThrottleRule> rules{
      {"create:admin:" + who.user_id.to_string(), ctx.config.auth.admin_tenant_creations_per_minute}};
  co_await auth::throttle(ctx.db, rules);
  co_return AuditedWork{ctx.body.string("slug").value_or(""), {}, [&ctx, state, who]() {
                          return create_tenant(ctx, *state, who);
                        }};
}

Task<void> update_tenant(RequestContext& ctx, const db::SchemaName& schema, const boost::json::object&) {
  const auto name = ctx.body.string("name");
  const auto plan = ctx.body.string("plan");
  tenancy::TenantCatalog catalog(ctx.pool);
  co_await catalog.update(schema, name, plan);
}

/// The optional {"reason"} of a suspension, as the audit entry records it.
boost::json::object suspension(RequestContext& ctx) {
  boost::json::object detail;
  if (auto reason = ctx.body.string("reason")) detail["reason"] = *reason;
  return detail;
}

Task<void> suspend_tenant(RequestContext& ctx, const db::SchemaName& schema,
                          const boost::json::object& detail) {
  std::optional<std::string> reason;
  if (const auto* r = detail.if_contains("reason")) reason = std::string(r->as_string());
  tenancy::TenantCatalog catalog(ctx.pool);
  co_await catalog.suspend(schema, reason);
}

Task<Response> drop_tenant(RequestContext& ctx, const AdminState& state, const db::SchemaName& schema) {
  if (*ctx.body.string("confirm") != schema.str())
    throw http::Invalid("confirm", "Type the tenant's slug ('" + schema.str() + "') to confirm the drop.");
  tenancy::TenantProvisioner provisioner(ctx.owner_pool, state.tenant_plan);
  co_await provisioner.drop(schema);
  co_await ctx.tenants.load(ctx.pool);
  co_return Response::empty(204);
}

/// A `plan` in the body must be one of the configured plans.
Task<void> configured_plan(RequestContext& ctx, std::vector<http::FieldError>& errors) {
  const auto plan = ctx.body.string("plan");
  if (plan && !ctx.config.plans.count(*plan)) errors.push_back({"plan", "Unknown plan '" + *plan + "'."});
  co_return;
}

/// resume and archive: a state change of the catalog with no input.
using StateChange = Task<void> (tenancy::TenantCatalog::*)(const db::SchemaName&, tenancy::TransactionHook);

TenantChange catalog_change(StateChange change) {
  return
      [change](RequestContext& ctx, const db::SchemaName& schema, const boost::json::object&) -> Task<void> {
        tenancy::TenantCatalog catalog(ctx.pool);
        const tenancy::TransactionHook no_hook;  // audited() writes the entry
        co_await (catalog.*change)(schema, no_hook);
      };
}

}  // namespace

void register_tenant_routes(web::RouteTable& r, const std::shared_ptr<AdminState>& state) {
  const auto admin = Access::platform_admin();
  const Schema owner = Schema::object({{"email", Schema::email()},
                                       {"status", Schema::choice({"member", "invited"})},
                                       {"user_id", Schema::integer(1), Presence::kOptional},
                                       {"invitation_id", Schema::integer(1), Presence::kOptional},
                                       {"expires_at", Schema::timestamp(), Presence::kOptional}})
                           .describe("The owner named at creation: an existing verified account, or invited.")
                           .named("TenantOwner");
  r.add("GET", "/admin/api/tenants", list_tenants,
        {.summary = "List tenants",
         .tags = {"admin"},
         .operation_id = "adminListTenants",
         .access = admin,
         .query = {{"q", Schema::string(0, 200), "Text in the slug, name or a domain."},
                   {"state",
                    Schema::choice({"provisioning", "active", "suspended", "archived", "failed", "dropping"}),
                    "Only tenants in this state."},
                   {"plan", Schema::string(1, 100), "Only tenants on this plan."}},
         .page_of = web::tenant_schema()});
  audited_route(
      r, "POST", "/admin/api/tenants", "tenant.create",
      [state](RequestContext& ctx, const Principal& who) { return prepare_creation(ctx, state, who); },
      {.summary = "Create (provision) a tenant",
       .description =
           "With `owner`, an existing verified account becomes its owner, else that address is invited.",
       .tags = {"admin"},
       .operation_id = "adminCreateTenant",
       .body = Schema::object(
                   {{"slug", web::slug_schema()},
                    {"name", Schema::line(1, 200).example("Northwind Repairs")},
                    {"plan", Schema::string(1, 100), Presence::kOptional},
                    {"domains",
                     Schema::array(web::domain_schema(), 20).describe("Default: <slug>.<base domain>."),
                     Presence::kOptional},
                    {"owner", Schema::email(), Presence::kOptional}})
                   .named("TenantCreate"),
       .check = configured_plan,
       .replies =
           {{201, web::tenant_schema().extend({{"owner", owner, Presence::kOptional}}).named("TenantCreated"),
             "The tenant, active"}},
       .problems = {http::problem_types::kConflict, http::problem_types::kTooManyRequests}});
  r.add("GET", "/admin/api/tenants/{slug}",
        [state](RequestContext& ctx) -> Task<Response> {
          const auto schema = slug_of(ctx);
          co_return co_await tenant_detail(ctx, *state, schema);
        },
        {.summary = "A tenant with domains, members, size, migrations and request counts",
         .tags = {"admin"},
         .operation_id = "adminGetTenant",
         .access = admin,
         .path = {slug_parameter()},
         .replies = {{200, tenant_detail_schema()}}});
  tenant_change_route(r, state, "PATCH", "/admin/api/tenants/{slug}", "tenant.update", update_tenant,
                      {.summary = "Change a tenant's name or plan",
                       .tags = {"admin"},
                       .operation_id = "adminUpdateTenant",
                       .body = Schema::object({{"name", Schema::line(1, 200), Presence::kOptional},
                                               {"plan", Schema::string(1, 100), Presence::kOptional}})
                                   .named("TenantPatch"),
                       .check = configured_plan});
  tenant_change_route(r, state, "POST", "/admin/api/tenants/{slug}/resume", "tenant.resume",
                      catalog_change(&tenancy::TenantCatalog::resume),
                      {.summary = "Resume a suspended or archived tenant",
                       .tags = {"admin"},
                       .operation_id = "adminResumeTenant",
                       .problems = {http::problem_types::kConflict}});
  tenant_change_route(r, state, "POST", "/admin/api/tenants/{slug}/archive", "tenant.archive",
                      catalog_change(&tenancy::TenantCatalog::archive),
                      {.summary = "Archive a tenant (kept, not served)",
                       .tags = {"admin"},
                       .operation_id = "adminArchiveTenant",
                       .problems = {http::problem_types::kConflict}});
  tenant_change_route(
      r, state, "POST", "/admin/api/tenants/{slug}/suspend", "tenant.suspend", suspend_tenant,
      {.summary = "Suspend a tenant (its API answers 403)",
       .tags = {"admin"},
       .operation_id = "adminSuspendTenant",
       .body = Schema::object({{"reason", Schema::string(0, 500), Presence::kOptional}}).named("Suspension"),
       .body_required = false,
       .problems = {http::problem_types::kConflict}},
      suspension);
  audited_route(
      r, "DELETE", "/admin/api/tenants/{slug}", "tenant.drop",
      [state](RequestContext& ctx, const Principal&) -> Task<AuditedWork> {
        const db::SchemaName schema = slug_of(ctx);
        co_return AuditedWork{
            schema.str(), {}, [&ctx, state, schema]() { return drop_tenant(ctx, *state, schema); }};
      },
      {.summary = "Drop a tenant and all its data",
       .description = "Irreversible: the body must name the tenant, `{\"confirm\": \"<slug>\"}`.",
       .tags = {"admin"},
       .operation_id = "adminDropTenant",
       .path = {slug_parameter()},
       .body = Schema::object({{"confirm", Schema::string(1, 63).describe("The tenant's slug, again.")}})
                   .named("DropConfirmation"),
       .replies = {{204, std::nullopt, "Dropped"}}});
}

}  // namespace tenantry::apps::admin

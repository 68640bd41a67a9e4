// /admin/api/tenants/{slug}/domains: add, remove and make primary the domains of a tenant (audited).
#include <boost/json.hpp>

#include "apps/admin/admin_state.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/web/tenant_schema.hpp"

namespace tenantry::apps::admin {

namespace {

using web::RequestContext;
using web::Schema;

/// 404 unless `domain` belongs to the tenant `schema`.
Task<void> require_domain_of(RequestContext& ctx, const tenancy::DomainName& domain,
                             const db::SchemaName& schema) {
  const db::Session public_db(ctx.pool);
  auto owner = co_await public_db.query(
      "SELECT 1 FROM domains d JOIN tenants t ON t.id = d.tenant_id WHERE d.domain = $1 AND t.schema_name = "
      "$2",
      domain, schema);
  if (owner.empty()) throw http::NotFound("No domain '" + domain.str() + "' on this tenant.");
}

Task<void> add_domain(RequestContext& ctx, const db::SchemaName& schema, const boost::json::object&) {
  const auto domain = ctx.body.string("domain");  // validated by domain_schema()
  const auto primary = ctx.body.boolean("primary");
  tenancy::TenantCatalog catalog(ctx.pool, ctx.config.tenancy);
  const tenancy::DomainName name(*domain);
  co_await catalog.add_domain(schema, name, primary.value_or(false));
}

tenancy::DomainName domain_of(const RequestContext& ctx) {
  return tenancy::DomainName(ctx.params.get("domain").value_or(""));
}

/// A change of the {domain} of the tenant: remove it, make it primary.
using DomainChange = Task<void> (tenancy::TenantCatalog::*)(const tenancy::DomainName&);

TenantChange domain_change(DomainChange change) {
  return
      [change](RequestContext& ctx, const db::SchemaName& schema, const boost::json::object&) -> Task<void> {
        const tenancy::DomainName domain = domain_of(ctx);
        co_await require_domain_of(ctx, domain, schema);
        tenancy::TenantCatalog catalog(ctx.pool);
        co_await (catalog.*change)(domain);
      };
}

boost::json::object named_domain(RequestContext& ctx) {
  return {{"domain", domain_of(ctx).str()}};
}

}  // namespace

void register_domain_routes(web::RouteTable& r, const std::shared_ptr<AdminState>& state) {
  const std::vector<web::Parameter> domain{
      slug_parameter(),
      {"domain", Schema::string(1, 253).example("shop.example.com"), "One of the tenant's domains."}};
  tenant_change_route(r, state, "POST", "/admin/api/tenants/{slug}/domains", "domain.add", add_domain,
                      {.summary = "Add a domain",
                       .tags = {"admin"},
                       .operation_id = "adminAddDomain",
                       .body = Schema::object({{"domain", web::domain_schema()},
                                               {"primary", Schema::boolean(), web::Presence::kOptional}})
                                   .named("DomainAdd"),
                       .problems = {http::problem_types::kConflict}});
  tenant_change_route(r, state, "DELETE", "/admin/api/tenants/{slug}/domains/{domain}", "domain.remove",
                      domain_change(&tenancy::TenantCatalog::remove_domain),
                      {.summary = "Remove a domain",
                       .tags = {"admin"},
                       .operation_id = "adminRemoveDomain",
                       .path = domain,
                       .problems = {http::problem_types::kConflict}},
                      named_domain);
  tenant_change_route(r, state, "POST", "/admin/api/tenants/{slug}/domains/{domain}/primary",
                      "domain.set_primary", domain_change(&tenancy::TenantCatalog::set_primary),
                      {.summary = "Make a domain the tenant's primary",
                       .tags = {"admin"},
                       .operation_id = "adminSetPrimaryDomain",
                       .path = domain},
                      named_domain);
}

}  // namespace tenantry::apps::admin

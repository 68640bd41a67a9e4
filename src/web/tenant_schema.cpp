#include "tenantry/web/tenant_schema.hpp"

#include "tenantry/db/schema_name.hpp"
#include "tenantry/tenancy/domain_name.hpp"

namespace tenantry::web {

const Schema& slug_schema() {
  static const Schema schema =
      Schema::string(1, 63)
          .check(
              [](std::string_view slug) {
                const std::string why = db::SchemaName::why_invalid(slug);
                return why.empty() ? why : "Invalid slug: " + why + ".";
              },
              "^[a-z][a-z0-9_]*$")
          .describe("Lower-case letters, digits and '_'; the store's subdomain and schema name.")
          .example("northwind");
  return schema;
}

const Schema& domain_schema() {
  static const Schema schema =
      Schema::string(1, 253)
          .check([](std::string_view domain) {
            const std::string why = tenancy::DomainName::why_invalid(tenancy::DomainName::normalise(domain));
            return why.empty() ? why : "Invalid domain: " + why + ".";
          })
          .example("shop.example.com");
  return schema;
}

const Schema& maintenance_schema() {
  static const Schema schema =
      Schema::object(
          {{"since", Schema::timestamp()},
           {"retry_after", Schema::integer(1, 86400).describe("The Retry-After, in seconds, of its 503s.")},
           {"message", Schema::string(1, 500).describe("Shown to the store's clients in the 503."),
            Presence::kOptional}})
          .describe(
              "Present while the tenant is in maintenance: its API answers 503 tenant-maintenance to "
              "all but platform admins.")
          .named("TenantMaintenance");
  return schema;
}

const Schema& tenant_schema() {
  static const Schema schema =
      Schema::object({{"id", Schema::integer(1)},
                      {"schema", Schema::string(1, 63).describe("The PostgreSQL schema (the same as slug).")},
                      {"slug", Schema::string(1, 63).example("northwind")},
                      {"name", Schema::string(1, 200).example("Northwind Repairs")},
                      {"state", Schema::choice({"provisioning", "active", "suspended", "archived", "failed",
                                                "dropping"})},
                      {"plan", Schema::string(1, 100).example("free")},
                      {"domains", Schema::array(Schema::object({{"domain", Schema::string(1, 253)},
                                                                {"is_primary", Schema::boolean()}})
                                                    .named("TenantDomain"))},
                      {"created_at", Schema::timestamp()},
                      {"updated_at", Schema::timestamp()},
                      {"settings", Schema::any_object().describe("Not in /api/me."), Presence::kOptional},
                      {"state_reason", Schema::string().describe("Why it is suspended or archived."),
                       Presence::kOptional},
                      {"maintenance", maintenance_schema(), Presence::kOptional}})
          .describe("A tenant (a store) of the platform.")
          .named("Tenant");
  return schema;
}

}  // namespace tenantry::web

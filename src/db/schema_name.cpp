#include "tenantry/db/schema_name.hpp"

#include <array>

namespace tenantry::db {

namespace {
// Names PostgreSQL, Citus or Tenantry use themselves, and subdomains a platform keeps for its own pages.
constexpr std::array<std::string_view, 11> kReserved{"public",   "information_schema",
                                                     "citus",    "citus_internal",
                                                     "columnar", "tenantry",
                                                     "www",      "api",
                                                     "admin",    "static",
                                                     "default"};
}  // namespace

std::string SchemaName::why_invalid(std::string_view v) {
  if (v.empty()) return "must not be empty";
  if (v.size() > 63) return "must be at most 63 characters";
  if (v[0] < 'a' || v[0] > 'z') return "must start with a lower-case letter";
  for (char c : v)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return "may contain only lower-case letters, digits and underscores";
  if (v.starts_with("pg_")) return "must not start with 'pg_' (reserved by PostgreSQL)";
  if (v.starts_with("tenantry_"))
    return "must not start with 'tenantry_' (reserved for Tenantry's own schemas)";
  for (auto r : kReserved)
    if (v == r) return "'" + std::string(v) + "' is a reserved name";
  return {};
}

SchemaName::SchemaName(std::string_view value) : value_(value) {
  if (auto why = why_invalid(value); !why.empty())
    throw ValidationError("schema", "invalid schema name: " + why);
}

const SchemaName& SchemaName::public_schema() {
  static const SchemaName kPublicSchema(Trusted{}, std::string(kPublic));
  return kPublicSchema;
}

SchemaName SchemaName::tenantry_owned(std::string_view suffix) {
  // The tenant rules minus the reservations, which exist to keep tenants out of these very names.
  std::string name = "tenantry_" + std::string(suffix);
  if (auto why = why_invalid(suffix); !why.empty() || name.size() > 63)
    throw ValidationError("schema",
                          "invalid schema name: " + (why.empty() ? "must be at most 63 characters" : why));
  return SchemaName(Trusted{}, std::move(name));
}

}  // namespace tenantry::db

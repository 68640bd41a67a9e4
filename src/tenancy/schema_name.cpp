#include "tenantry/tenancy/schema_name.hpp"

#include <algorithm>
#include <array>

#include "tenantry/tenancy/domain_name.hpp"

namespace tenantry::tenancy {

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

std::string DomainName::normalise(std::string_view value) {
  std::string out(value);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string DomainName::why_invalid(std::string_view v) {
  if (v.empty()) return "must not be empty";
  if (v.size() > 253) return "must be at most 253 characters";
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t end = v.find('.', start);
    if (end == std::string_view::npos) end = v.size();
    std::string_view label = v.substr(start, end - start);
    if (label.empty()) return "must not contain empty labels";
    if (label.size() > 63) return "labels must be at most 63 characters";
    if (label.front() == '-' || label.back() == '-') return "labels must not start or end with '-'";
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return "may contain only letters, digits, '-' and '.'";
    start = end + 1;
  }
  return {};
}

DomainName::DomainName(std::string_view value) : value_(normalise(value)) {
  if (auto why = why_invalid(value_); !why.empty()) throw ValidationError("domain", "invalid domain: " + why);
}

DomainName default_domain(const SchemaName& schema, const std::string& base_domain) {
  std::string label = schema.str();
  std::replace(label.begin(), label.end(), '_', '-');
  return DomainName(label + "." + base_domain);
}

}  // namespace tenantry::tenancy

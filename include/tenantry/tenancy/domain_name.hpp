#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "tenantry/db/schema_name.hpp"

namespace tenantry::tenancy {

/// A tenant's hostname, normalised: lower-case, no trailing dot, ≤ 253 characters, labels of 1–63 letters,
/// digits and inner hyphens (IDNs in their ASCII `xn--` form).
class DomainName {
 public:
  /// Normalises and validates; throws ValidationError.
  explicit DomainName(std::string_view value);
  /// The rule the normalised `value` breaks, or empty.
  static std::string why_invalid(std::string_view normalised);
  /// Lower-cases and strips one trailing dot; does not validate.
  static std::string normalise(std::string_view value);

  const std::string& str() const noexcept { return value_; }
  std::string_view to_db_param() const noexcept { return value_; }
  friend auto operator<=>(const DomainName&, const DomainName&) = default;

 private:
  std::string value_;
};

/// The hostname a tenant gets by default, `<slug>.<base_domain>`, with the slug's underscores turned into
/// hyphens (hostnames may not contain '_').
DomainName default_domain(const db::SchemaName& schema, const std::string& base_domain);

}  // namespace tenantry::tenancy

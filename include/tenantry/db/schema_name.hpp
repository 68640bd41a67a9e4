#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "tenantry/core/validation_error.hpp"
#include "tenantry/db/params.hpp"
#include "tenantry/db/result.hpp"

namespace tenantry::db {

/// A PostgreSQL schema that statements run in: `public`, a tenant's schema (doubling as its slug) or one of
/// Tenantry's own. A SchemaName that exists is valid: `^[a-z][a-z0-9_]{0,62}$`, no `pg_` prefix; a tenant's
/// is also not a reserved name and has no `tenantry_` prefix. Still always quoted in SQL.
class SchemaName {
 public:
  /// A tenant schema. Throws ValidationError naming the broken rule.
  explicit SchemaName(std::string_view value);
  /// The one spelling of `public`, where shared tables live. Also what a Session without a schema uses.
  static const SchemaName& public_schema();
  /// One of Tenantry's own schemas, `tenantry_<suffix>` (spares, scratch schemas); throws ValidationError.
  static SchemaName tenantry_owned(std::string_view suffix);
  /// The rule a tenant schema `value` breaks, or an empty string when it is valid.
  static std::string why_invalid(std::string_view value);

  bool is_public() const noexcept { return value_ == kPublic; }
  const std::string& str() const noexcept { return value_; }
  std::string_view to_db_param() const noexcept { return value_; }
  friend auto operator<=>(const SchemaName&, const SchemaName&) = default;
  friend bool operator==(const SchemaName&, const SchemaName&) = default;

 private:
  static constexpr std::string_view kPublic = "public";
  struct Trusted {};
  SchemaName(Trusted, std::string value) : value_(std::move(value)) {}
  std::string value_;
};

}  // namespace tenantry::db

template <>
struct tenantry::db::FieldTraits<tenantry::db::SchemaName> {
  static tenantry::db::SchemaName decode(std::string_view text) { return tenantry::db::SchemaName(text); }
};

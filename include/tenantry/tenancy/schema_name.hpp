#pragma once

#include <compare>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tenantry/db/params.hpp"
#include "tenantry/db/result.hpp"

namespace tenantry::tenancy {

/// A value that failed validation; the message says which rule it broke, for the user.
class ValidationError : public std::invalid_argument {
 public:
  ValidationError(std::string field, const std::string& message)
      : std::invalid_argument(message), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// Whether `text` holds a control character (C0 or DEL): names are single lines, since they end up in mail
/// subjects and log lines.
inline bool has_control_characters(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

/// The PostgreSQL schema of one tenant, doubling as its slug. A SchemaName that exists is valid:
/// `^[a-z][a-z0-9_]{0,62}$`, no `pg_` prefix, not a reserved name. Still always quoted in SQL.
class SchemaName {
 public:
  /// Throws ValidationError naming the broken rule.
  explicit SchemaName(std::string_view value);
  /// The rule `value` breaks, or an empty string when it is valid.
  static std::string why_invalid(std::string_view value);

  const std::string& str() const noexcept { return value_; }
  std::string_view to_db_param() const noexcept { return value_; }
  friend auto operator<=>(const SchemaName&, const SchemaName&) = default;

 private:
  std::string value_;
};

}  // namespace tenantry::tenancy

template <>
struct tenantry::db::FieldTraits<tenantry::tenancy::SchemaName> {
  static tenantry::tenancy::SchemaName decode(std::string_view text) {
    return tenantry::tenancy::SchemaName(text);
  }
};

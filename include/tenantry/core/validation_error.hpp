#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tenantry {

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

}  // namespace tenantry

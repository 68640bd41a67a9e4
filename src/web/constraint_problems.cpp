#include "tenantry/web/constraint_problems.hpp"

#include <string>

namespace tenantry::web {

namespace {

/// The key value of a unique or foreign-key violation's detail: `abc` of "Key (sku)=(abc) already exists."
/// or of "Key (product_id)=(abc) is not present in table ...".
std::string_view key_value(std::string_view detail) {
  const auto open = detail.find(")=(");
  const auto close = detail.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open + 3) return {};
  return detail.substr(open + 3, close - open - 3);
}

std::string with_value(std::string_view message, std::string_view value) {
  constexpr std::string_view kPlaceholder = "{value}";
  std::string out(message);
  for (auto at = out.find(kPlaceholder); at != std::string::npos;
       at = out.find(kPlaceholder, at + value.size()))
    out.replace(at, kPlaceholder.size(), value);
  return out;
}

}  // namespace

std::optional<http::Problem> constraint_problem(const db::IntegrityConstraintViolation& violation,
                                                std::span<const ConstraintProblem> table) {
  for (const ConstraintProblem& entry : table) {
    if (violation.constraint().empty() || entry.constraint != violation.constraint()) continue;
    std::string message = with_value(entry.message, key_value(violation.detail()));
    if (!entry.field.empty()) return http::Invalid(std::string(entry.field), std::move(message)).problem();
    http::Problem p;
    p.type = entry.type;
    p.title = entry.title;
    p.status = entry.status;
    p.detail = std::move(message);
    return p;
  }
  return std::nullopt;
}

}  // namespace tenantry::web

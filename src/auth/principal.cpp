#include "tenantry/auth/principal.hpp"

#include <array>

namespace tenantry::auth {

namespace {
constexpr std::array<std::string_view, 4> kRoles{"viewer", "staff", "admin", "owner"};
}  // namespace

std::string_view to_string(Role role) {
  return kRoles[static_cast<int>(role)];
}

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < kRoles.size(); ++i)
    if (kRoles[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}

}  // namespace tenantry::auth

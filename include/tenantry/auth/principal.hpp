#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tenantry/core/strong_id.hpp"

namespace tenantry::auth {

/// A member's role in one store, weakest first.
enum class Role { kViewer = 0, kStaff = 1, kAdmin = 2, kOwner = 3 };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view name);

/// The id of a global user account (a row of public.users).
using UserId = StrongId<struct UserTag>;

/// Who made an authenticated request, read from its token.
struct Principal {
  UserId user_id;
  std::int64_t tenant_id = 0;
  Role role = Role::kViewer;
  std::string token_id;
  std::int64_t issued_at_us = 0;  // microseconds since the epoch
  std::int64_t expires_at = 0;    // seconds since the epoch
};

/// A token handed to a client, and when it expires.
struct IssuedToken {
  std::string token;
  std::int64_t expires_at = 0;
};

}  // namespace tenantry::auth

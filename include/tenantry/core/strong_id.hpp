#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace tenantry {

/// A database id that cannot be mixed up with another kind of id: `StrongId<struct TenantTag>`.
template <typename Tag>
struct StrongId {
  std::int64_t value = 0;
  friend auto operator<=>(const StrongId&, const StrongId&) = default;
  std::string to_string() const { return std::to_string(value); }
};

}  // namespace tenantry

template <typename Tag>
struct std::hash<tenantry::StrongId<Tag>> {
  std::size_t operator()(const tenantry::StrongId<Tag>& id) const noexcept {
    return std::hash<std::int64_t>{}(id.value);
  }
};

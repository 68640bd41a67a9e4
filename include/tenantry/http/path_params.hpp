#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tenantry::http {

/// The values a route template's `{name}` placeholders captured, in template order. Storage is inline
/// (no allocation for short values) because a match happens on every request.
class PathParams {
 public:
  /// A route template may have at most this many placeholders (Router::add enforces it).
  static constexpr std::size_t kMaxParams = 8;

  /// The value of `name`, if the route has such a placeholder.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  /// The value of `name` as a non-negative 64-bit integer; empty when absent or not such an integer.
  /// Always set for `{name:int}` placeholders of a matched route.
  std::optional<std::int64_t> get_int(std::string_view name) const noexcept;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const std::pair<std::string_view, std::string>& operator[](std::size_t i) const noexcept {
    return items_[i];
  }
  const std::pair<std::string_view, std::string>* begin() const noexcept { return items_.data(); }
  const std::pair<std::string_view, std::string>* end() const noexcept { return items_.data() + size_; }

  /// Appends a parameter. `name` must outlive this object (the router's templates do).
  void push_back(std::string_view name, std::string_view value);
  void clear() noexcept { size_ = 0; }

 private:
  std::array<std::pair<std::string_view, std::string>, kMaxParams> items_;
  std::size_t size_ = 0;
};

/// Parses a non-negative 64-bit integer written in decimal digits only (no sign, no spaces).
std::optional<std::int64_t> parse_non_negative_int64(std::string_view text) noexcept;

}  // namespace tenantry::http

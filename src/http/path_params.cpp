#include "tenantry/http/path_params.hpp"

#include <charconv>
#include <stdexcept>

namespace tenantry::http {

std::optional<std::string_view> PathParams::get(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (items_[i].first == name) return std::string_view(items_[i].second);
  }
  return std::nullopt;
}

std::optional<std::int64_t> PathParams::get_int(std::string_view name) const noexcept {
  const auto v = get(name);
  return v ? parse_non_negative_int64(*v) : std::nullopt;
}

void PathParams::push_back(std::string_view name, std::string_view value) {
  if (size_ == kMaxParams) throw std::length_error("too many path parameters");
  items_[size_].first = name;
  items_[size_].second.assign(value);
  ++size_;
}

std::optional<std::int64_t> parse_non_negative_int64(std::string_view text) noexcept {
  if (text.empty() || text.size() > 19) return std::nullopt;  // INT64_MAX has 19 digits
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace tenantry::http

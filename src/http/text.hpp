#pragma once

// Small text helpers shared by the HTTP sources; private to the library.
#include <string>
#include <string_view>

#include "core/text.hpp"

namespace tenantry::http::detail {

inline char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

using tenantry::detail::append_json_escaped;
using tenantry::detail::valid_utf8;

}  // namespace tenantry::http::detail

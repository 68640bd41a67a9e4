#pragma once

// Small text helpers shared by the HTTP sources; private to the library.
#include <string>
#include <string_view>

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

/// Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF), as PostgreSQL demands.
bool valid_utf8(std::string_view s) noexcept;

/// Appends `s` with JSON string escaping (without quotes): also makes untrusted text safe for one-line logs.
/// Invalid UTF-8 is kept readable by escaping each non-ASCII byte as \u00XX.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace tenantry::http::detail

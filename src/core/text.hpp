#pragma once

// Text helpers shared by the library's components (the HTTP server, the log formatter); private to it.
#include <string>
#include <string_view>

namespace tenantry::detail {

/// Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF), as PostgreSQL demands.
bool valid_utf8(std::string_view s) noexcept;

/// Appends `s` with JSON string escaping (without quotes): also makes untrusted text safe for one-line logs.
/// Invalid UTF-8 is kept readable by escaping each non-ASCII byte as \u00XX.
void append_json_escaped(std::string& out, std::string_view s);

/// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 §5.6.3).
constexpr std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace tenantry::detail

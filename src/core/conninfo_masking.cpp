// Masking secrets in PostgreSQL connection strings (`config show`, logs): both of libpq's forms, the URI and
// key = value, including malformed ones that still must not print a password.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "tenantry/core/config.hpp"

namespace tenantry {

namespace {

bool is_secret_key(std::string_view key) {
  std::string lower(key);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower.find("password") != std::string::npos;  // password, sslpassword
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

/// postgresql://user:password@host/db?password=...&sslpassword=...
std::string mask_uri(std::string_view uri, std::size_t authority) {
  std::string out(uri);
  const std::size_t query = std::min(out.find('?', authority), out.size());
  for (std::size_t pos = query + 1; pos < out.size();) {
    std::size_t end = std::min(out.find('&', pos), out.size());
    const std::size_t eq = out.find('=', pos);
    if (eq >= end && end > pos) {  // no key=value: perhaps the rest of a password holding an unencoded '&'
      out.replace(pos, end - pos, "***");
      end = pos + 3;
    } else if (eq < end && is_secret_key(percent_decode(std::string_view(out).substr(pos, eq - pos)))) {
      out.replace(eq + 1, end - eq - 1, "***");
      end = eq + 4;
    }
    pos = end + 1;
  }
  // The last '@' before the query ends the user info, so that a password holding an unencoded '@' or '/' is
  // still masked whole (libpq would misread such a URL, but it must not be printed either).
  const std::size_t at = query == authority ? std::string::npos : out.rfind('@', query - 1);
  if (at != std::string::npos && at >= authority)
    if (const std::size_t colon = out.find(':', authority); colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  return out;
}

/// host=h password='a b' user = u: libpq's key = value form, values quoted with '...' and escaped with '\'.
std::string mask_keywords(std::string_view s) {
  const auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (space(s[i])) {
      out += s[i++];
      continue;
    }
    const std::size_t key_start = i;
    while (i < s.size() && !space(s[i]) && s[i] != '=') ++i;
    const std::string_view key = s.substr(key_start, i - key_start);
    std::size_t eq = i;
    while (eq < s.size() && space(s[eq])) ++eq;
    if (eq == s.size() || s[eq] != '=') {
      out += "***";  // not key=value: perhaps the rest of an unquoted password with a space
      continue;
    }
    out.append(s.substr(key_start, eq + 1 - key_start));
    for (i = eq + 1; i < s.size() && space(s[i]);) out += s[i++];
    const std::size_t value_start = i;
    if (i < s.size() && s[i] == '\'') {
      for (++i; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
      ++i;
    } else {
      for (; i < s.size() && !space(s[i]); ++i)
        if (s[i] == '\\') ++i;
    }
    i = std::min(i, s.size());
    if (is_secret_key(key))
      out += "***";
    else
      out.append(s.substr(value_start, i - value_start));
  }
  return out;
}

}  // namespace

std::string mask_conninfo(std::string_view conninfo) {
  for (std::string_view scheme : {"postgresql://", "postgres://"})
    if (conninfo.starts_with(scheme)) return mask_uri(conninfo, scheme.size());
  // Without '=' libpq takes the whole string as a database name.
  if (conninfo.find('=') == std::string_view::npos) return std::string(conninfo);
  return mask_keywords(conninfo);
}

}  // namespace tenantry

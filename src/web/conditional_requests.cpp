#include "web/detail/conditional_requests.hpp"

#include <sodium.h>

#include <array>

#include "core/text.hpp"

namespace tenantry::web::detail {

namespace {

using tenantry::detail::trim_blanks;

bool listed(std::string_view field, std::string_view tag, bool weak_comparison) {
  field = trim_blanks(field);
  if (field == "*") return true;
  while (!field.empty()) {
    const auto comma = field.find(',');
    std::string_view item = trim_blanks(field.substr(0, comma));
    field = comma == std::string_view::npos ? std::string_view{} : field.substr(comma + 1);
    if (item.starts_with("W/")) {
      if (!weak_comparison) continue;
      item.remove_prefix(2);
    }
    if (item == tag) return true;
  }
  return false;
}

}  // namespace

std::string entity_tag(std::string_view body) {
  // 128 bits of BLAKE2b: collisions are out of reach, and it costs well under a microsecond per page.
  std::array<unsigned char, 16> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned char b : hash) {
    tag += kHex[b >> 4];
    tag += kHex[b & 15];
  }
  tag += '"';
  return tag;
}

void tag_representation(const http::Request& request, http::Response& response) {
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (response.status != 200 || !response.content_type.starts_with("application/json") ||
      (!read && request.method != "PUT" && request.method != "PATCH"))
    return;
  std::string tag;
  if (auto set = response.header("ETag")) {
    tag = std::string(*set);
  } else {
    tag = entity_tag(response.body);
    response.add_header("ETag", tag);
  }
  if (!read) return;
  if (auto field = request.header("If-None-Match"); field && none_match_hits(*field, tag)) {
    http::Response not_modified = http::Response::empty(304);
    not_modified.headers = std::move(response.headers);
    response = std::move(not_modified);
  }
}

bool none_match_hits(std::string_view field, std::string_view tag) {
  return listed(field, tag, true);
}

bool match_hits(std::string_view field, std::string_view tag) {
  return listed(field, tag, false);
}

}  // namespace tenantry::web::detail

#include "web/detail/forwarded_origin.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace tenantry::web::detail {

namespace {

using tenantry::detail::trim_blanks;

/// The first element of a comma-separated header: the one the proxy nearest the client wrote.
std::string_view first_item(std::string_view value) {
  return trim_blanks(value.substr(0, value.find(',')));
}

/// A parameter (`proto`, `host`) of the first element of a Forwarded header, unquoted.
std::string_view forwarded_parameter(std::string_view header, std::string_view name) {
  std::string_view element = first_item(header);
  while (!element.empty()) {
    const auto semicolon = element.find(';');
    const std::string_view pair = trim_blanks(element.substr(0, semicolon));
    element = semicolon == std::string_view::npos ? std::string_view{} : element.substr(semicolon + 1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    std::string key(trim_blanks(pair.substr(0, equals)));
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (key != name) continue;
    std::string_view value = trim_blanks(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

bool is_host(std::string_view host) {
  return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

}  // namespace

ForwardedOrigin::ForwardedOrigin(const std::vector<std::string>& trusted_proxies) {
  for (const std::string& network : trusted_proxies)
    if (auto parsed = IpNetwork::parse(network)) trusted_.push_back(*parsed);
}

std::string ForwardedOrigin::of(const http::Request& request) const {
  if (trusted_.empty() || std::none_of(trusted_.begin(), trusted_.end(), [&](const IpNetwork& n) {
        return n.contains(request.remote_address);
      }))
    return {};
  std::string_view proto;
  std::string_view host;
  if (auto forwarded = request.header("Forwarded")) {
    proto = forwarded_parameter(*forwarded, "proto");
    host = forwarded_parameter(*forwarded, "host");
  }
  if (proto.empty())
    if (auto header = request.header("X-Forwarded-Proto")) proto = first_item(*header);
  if (host.empty())
    if (auto header = request.header("X-Forwarded-Host")) host = first_item(*header);
  if (proto.empty() && host.empty()) return {};
  std::string scheme(proto.empty() ? std::string_view("http") : proto);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https") return {};
  if (host.empty()) host = request.authority;
  if (!is_host(host)) return {};
  return scheme + "://" + std::string(host);
}

}  // namespace tenantry::web::detail

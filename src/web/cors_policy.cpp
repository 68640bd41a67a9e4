#include "web/detail/cors_policy.hpp"

#include <algorithm>

namespace tenantry::web::detail {

namespace {

/// Whether `origin` is `pattern` with its "*" standing for one or more host labels.
bool matches(std::string_view pattern, std::string_view origin) {
  const auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == origin;
  const std::string_view before = pattern.substr(0, star);  // "https://"
  const std::string_view after = pattern.substr(star + 1);  // ".example.com[:port]"
  if (origin.size() <= before.size() + after.size() || !origin.starts_with(before) ||
      !origin.ends_with(after))
    return false;
  const std::string_view labels = origin.substr(before.size(), origin.size() - before.size() - after.size());
  return labels.front() != '.' && labels.back() != '.' && labels.find("..") == std::string_view::npos &&
         std::all_of(labels.begin(), labels.end(), [](unsigned char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
         });
}

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> origins, bool allow_credentials)
    : origins_(std::move(origins)), allow_credentials_(allow_credentials) {}

bool CorsPolicy::allows(std::string_view origin) const {
  return std::any_of(origins_.begin(), origins_.end(),
                     [&](const std::string& pattern) { return matches(pattern, origin); });
}

void CorsPolicy::decorate(std::string_view origin, http::Response& response) const {
  if (!enabled()) return;
  response.add_header("Vary", "Origin");
  if (!allows(origin)) return;
  response.add_header("Access-Control-Allow-Origin", std::string(origin));
  response.add_header("Access-Control-Expose-Headers", "ETag, Location, Retry-After, X-Request-Id");
  if (allow_credentials_) response.add_header("Access-Control-Allow-Credentials", "true");
}

http::Response CorsPolicy::preflight(std::string_view allowed_methods) const {
  http::Response response = http::Response::empty(204);
  response.add_header("Access-Control-Allow-Methods", std::string(allowed_methods));
  response.add_header("Access-Control-Allow-Headers",
                      "Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id");
  response.add_header("Access-Control-Max-Age", "600");
  return response;
}

}  // namespace tenantry::web::detail

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tenantry/http/response.hpp"

namespace tenantry::web::detail {

/// Cross-origin access for browser apps (server.cors_origins, server.cors_allow_credentials): which Origin
/// headers are answered with Access-Control-* headers. Without origins configured nothing is added and
/// browsers keep pages of other origins away from the API, as they do by default.
class CorsPolicy {
 public:
  /// The origins as validated by the configuration (why_invalid_cors_origins).
  CorsPolicy(std::vector<std::string> origins, bool allow_credentials);

  bool enabled() const noexcept { return !origins_.empty(); }
  /// Whether `origin` (an Origin header) is listed, or matches a "scheme://*.host" pattern by one or more
  /// leftmost labels.
  bool allows(std::string_view origin) const;
  /// Adds the headers that let an allowed origin read `response` (and Vary: Origin, for caches).
  void decorate(std::string_view origin, http::Response& response) const;
  /// The answer to a preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin for a
  /// path whose methods are `allowed_methods` ("GET, HEAD, POST"); decorate() then adds the origin's headers,
  /// as to every answer.
  http::Response preflight(std::string_view allowed_methods) const;

 private:
  std::vector<std::string> origins_;
  bool allow_credentials_;
};

}  // namespace tenantry::web::detail

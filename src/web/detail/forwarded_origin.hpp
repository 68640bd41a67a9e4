#pragma once

#include <string>
#include <vector>

#include "tenantry/core/ip_network.hpp"
#include "tenantry/http/request.hpp"

namespace tenantry::web::detail {

/// The origin ("https://shop.example.com") that a client behind a reverse proxy addressed, from the
/// proxy's `Forwarded` (RFC 7239) or `X-Forwarded-Proto` / `X-Forwarded-Host` headers, believed only from
/// `server.trusted_proxies`: anyone else could point a page's links at a host of their choosing.
class ForwardedOrigin {
 public:
  /// The networks as validated by the configuration (why_invalid_networks); an invalid entry is skipped.
  explicit ForwardedOrigin(const std::vector<std::string>& trusted_proxies);

  /// The origin, or empty when the peer is not a trusted proxy or sent no usable header (then links use
  /// http:// and the request's authority). A scheme other than http/https or a host with characters no
  /// host has is not used.
  std::string of(const http::Request& request) const;

 private:
  std::vector<IpNetwork> trusted_;
};

}  // namespace tenantry::web::detail

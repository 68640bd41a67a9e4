#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tenantry/core/config.hpp"

namespace tenantry::tenancy {

/// The hosts that serve the public routes (`tenancy.public_hosts`, by default `localhost` and `127.0.0.1`),
/// compared the way the host resolver compares domains: case-insensitive, without port or trailing dot, and
/// also with `www.` in front when `tenancy.strip_www` is on.
class PublicHosts {
 public:
  explicit PublicHosts(const Config::Tenancy& tenancy);

  /// `host` as normalised by TenantResolver::normalise_host.
  bool contains(std::string_view host) const;

 private:
  std::vector<std::string> hosts_;
  bool strip_www_;
};

}  // namespace tenantry::tenancy

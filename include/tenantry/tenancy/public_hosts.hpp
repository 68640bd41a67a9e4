#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tenantry/core/config.hpp"
#include "tenantry/tenancy/domain_name.hpp"

namespace tenantry::tenancy {

/// The hosts that serve the public routes (`tenancy.public_hosts`, by default `localhost` and `127.0.0.1`),
/// compared the way the host resolver compares domains: case-insensitive, without port or trailing dot, and
/// also with `www.` in front when `tenancy.strip_www` is on.
class PublicHosts {
 public:
  explicit PublicHosts(const Config::Tenancy& tenancy);

  /// `host` as normalised by TenantResolver::normalise_host.
  bool contains(std::string_view host) const;
  /// Throws ValidationError("domain") when no tenant may have `domain`: a public host, `localhost` or
  /// `127.0.0.1` (whatever the configuration), or a name whose `www.` form is public (the host resolver
  /// strips `www.` and would hand that public host to the tenant).
  void check_tenant_domain(const DomainName& domain) const;

 private:
  std::vector<std::string> hosts_;     // served as public
  std::vector<std::string> reserved_;  // never a tenant's: hosts_, localhost, 127.0.0.1
  bool strip_www_;
};

/// The built-in tenancy settings, for code that has no configuration at hand. Pass the configuration when
/// there is one: its `public_hosts` may list more hosts.
const Config::Tenancy& default_tenancy();

}  // namespace tenantry::tenancy

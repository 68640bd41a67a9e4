#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/core/config.hpp"
#include "tenantry/core/ip_network.hpp"
#include "tenantry/tenancy/public_hosts.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"

namespace tenantry::tenancy {

/// What a request's host, header or path says about its tenant.
struct Resolution {
  enum class Kind {
    kTenant,        // serve `tenant` (already checked active)
    kPublic,        // serve the public routes
    kNotFound,      // 404 tenant-not-found (also archived, failed and dropping tenants)
    kSuspended,     // 403 tenant-suspended
    kProvisioning,  // 503 with Retry-After
  };
  Kind kind = Kind::kNotFound;
  std::shared_ptr<const CatalogSnapshot> snapshot;  // keeps `tenant` alive
  const Tenant* tenant = nullptr;
  /// Characters to strip from the front of the path (the `/t/{schema}` prefix), 0 when none.
  std::size_t path_prefix = 0;
  /// Which resolver decided: "header", "path", "host", "subdomain", "public" or "" (nothing matched).
  std::string_view resolver;
};

/// The ordered chain of tenant resolvers (configured by `tenancy.*`): header (`X-Tenant`, off by default,
/// believed only from `tenancy.header_trusted_networks`), path (`/t/{schema}/...`, off by default, on the
/// public hosts only), host (the domains table: case-insensitive, port and trailing dot ignored, optional
/// `www.`), subdomain (`{schema}.<base_domain>`). A public host is never resolved as a tenant's domain.
/// Reads only the in-memory directory: no query.
class TenantResolver {
 public:
  /// Throws ConfigError for unusable `tenancy.header_trusted_networks` (see why_invalid_trusted_networks).
  TenantResolver(const Config::Tenancy& config, const TenantDirectory& directory);
  ~TenantResolver();

  /// `host` as sent (may hold a port), `tenant_header` the X-Tenant value if any, `remote` the peer address.
  Resolution resolve(std::string_view host, std::optional<std::string_view> tenant_header,
                     std::string_view path, std::string_view remote) const;

  /// Lower-cases, drops the port and a trailing dot; an IPv6 literal keeps its brackets.
  static std::string normalise_host(std::string_view host);

 private:
  bool trusted(std::string_view remote) const;
  Resolution finish(Resolution r, const Tenant* t, std::string_view resolver) const;

  const Config::Tenancy config_;
  const TenantDirectory& directory_;
  const PublicHosts public_hosts_;
  std::vector<IpNetwork> trusted_;
};

}  // namespace tenantry::tenancy

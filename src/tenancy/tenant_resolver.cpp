#include "tenantry/tenancy/tenant_resolver.hpp"

#include <algorithm>

#include "tenantry/tenancy/domain_name.hpp"

namespace tenantry::tenancy {

TenantResolver::TenantResolver(const Config::Tenancy& config, const TenantDirectory& directory)
    : config_(config), directory_(directory), public_hosts_(config_) {
  // Checked here too, not only by load_config: a configuration built in code must not trust every client.
  if (auto why = why_invalid_trusted_networks(config_); !why.empty())
    throw ConfigError("invalid configuration: tenancy.header_trusted_networks " + why);
  for (const std::string& network : config_.header_trusted_networks)
    trusted_.push_back(*IpNetwork::parse(network));
}

TenantResolver::~TenantResolver() = default;

std::string TenantResolver::normalise_host(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const auto end = host.find(']');
    return DomainName::normalise(host.substr(0, end == std::string_view::npos ? host.size() : end + 1));
  }
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  return DomainName::normalise(host);
}

bool TenantResolver::trusted(std::string_view remote) const {
  return std::any_of(trusted_.begin(), trusted_.end(),
                     [remote](const IpNetwork& n) { return n.contains(remote); });
}

Resolution TenantResolver::finish(Resolution r, const Tenant* t, std::string_view resolver) const {
  r.tenant = t;
  r.resolver = resolver;
  switch (t->state) {
    case TenantState::kActive:
      r.kind = Resolution::Kind::kTenant;
      break;
    case TenantState::kSuspended:
      r.kind = Resolution::Kind::kSuspended;
      break;
    case TenantState::kProvisioning:
      r.kind = Resolution::Kind::kProvisioning;
      break;
    case TenantState::kArchived:
    case TenantState::kFailed:
    case TenantState::kDropping:  // going away: as if already gone
      r.kind = Resolution::Kind::kNotFound;
      break;
  }
  return r;
}

Resolution TenantResolver::resolve(std::string_view raw_host, std::optional<std::string_view> tenant_header,
                                   std::string_view path, std::string_view remote) const {
  Resolution r;
  r.snapshot = directory_.snapshot();
  const CatalogSnapshot& catalog = *r.snapshot;
  const std::string host = normalise_host(raw_host);
  // A public host serves the public routes (and /t/<slug>/ when enabled); any other host serves at most its
  // own tenant, so that a tenant's domain can never be made to answer for another tenant.
  const bool public_host = public_hosts_.contains(host);
  for (const std::string& resolver : config_.resolvers) {
    if (resolver == "header") {
      if (!config_.header_resolver || !tenant_header || !trusted(remote)) continue;
      if (const Tenant* t = catalog.find_schema(*tenant_header)) return finish(r, t, "header");
      r.resolver = "header";
      return r;  // asked for a tenant that does not exist: never fall back to another one
    } else if (resolver == "path") {
      if (!config_.path_resolver || !public_host || !path.starts_with("/t/")) continue;
      const auto end = path.find('/', 3);
      const std::string_view schema =
          path.substr(3, end == std::string_view::npos ? path.size() - 3 : end - 3);
      r.path_prefix = end == std::string_view::npos ? path.size() : end;
      if (const Tenant* t = catalog.find_schema(schema)) return finish(r, t, "path");
      r.resolver = "path";
      return r;
    } else if (public_host) {
      continue;  // the host and subdomain resolvers: a public host is nobody's domain
    } else if (resolver == "host") {
      if (const Tenant* t = catalog.find_domain(host)) return finish(r, t, "host");
      if (config_.strip_www && host.starts_with("www."))
        if (const Tenant* t = catalog.find_domain(std::string_view(host).substr(4)))
          return finish(r, t, "host");
    } else if (resolver == "subdomain") {
      const std::string& base = config_.base_domain;
      std::string_view h = host;
      if (config_.strip_www && h.starts_with("www.")) h.remove_prefix(4);
      if (base.empty() || h.size() <= base.size() + 1 || !h.ends_with(base) ||
          h[h.size() - base.size() - 1] != '.')
        continue;
      const std::string_view schema = h.substr(0, h.size() - base.size() - 1);
      if (const Tenant* t = catalog.find_schema(schema); t && t->domains.empty())
        return finish(r, t, "subdomain");
    }
  }
  if (public_host) {
    r.kind = Resolution::Kind::kPublic;
    r.resolver = "public";
    return r;
  }
  if (config_.unknown_host == "public") r.kind = Resolution::Kind::kPublic;
  return r;
}

}  // namespace tenantry::tenancy

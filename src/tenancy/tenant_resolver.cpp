#include "tenantry/tenancy/tenant_resolver.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include "tenantry/tenancy/domain_name.hpp"

namespace tenantry::tenancy {

namespace ip = boost::asio::ip;

struct TenantResolver::Network {
  ip::address address;
  unsigned prefix;
  bool contains(const ip::address& a) const {
    if (a.is_v4() && address.is_v4())
      return ip::network_v4(a.to_v4(), prefix).network() == ip::network_v4(address.to_v4(), prefix).network();
    if (a.is_v6() && address.is_v6())
      return ip::network_v6(a.to_v6(), prefix).network() == ip::network_v6(address.to_v6(), prefix).network();
    return false;
  }
};

TenantResolver::TenantResolver(const Config::Tenancy& config, const TenantDirectory& directory)
    : config_(config), directory_(directory) {
  for (const std::string& cidr : config_.header_trusted_networks) {
    const auto slash = cidr.find('/');
    boost::system::error_code ec;
    Network n{ip::make_address(cidr.substr(0, slash), ec), 0};
    if (ec) throw ConfigError("invalid configuration: tenancy.header_trusted_networks has '" + cidr + "'");
    const unsigned max = n.address.is_v4() ? 32 : 128;
    n.prefix = slash == std::string::npos ? max : static_cast<unsigned>(std::stoul(cidr.substr(slash + 1)));
    if (n.prefix > max)
      throw ConfigError("invalid configuration: tenancy.header_trusted_networks has '" + cidr + "'");
    trusted_.push_back(n);
  }
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
  if (trusted_.empty()) return true;
  boost::system::error_code ec;
  const auto address = ip::make_address(std::string(remote), ec);
  if (ec) return false;
  for (const auto& n : trusted_)
    if (n.contains(address)) return true;
  return false;
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
  for (const std::string& resolver : config_.resolvers) {
    if (resolver == "header") {
      if (!config_.header_resolver || !tenant_header || !trusted(remote)) continue;
      if (const Tenant* t = catalog.find_schema(*tenant_header)) return finish(r, t, "header");
      r.resolver = "header";
      return r;  // asked for a tenant that does not exist: never fall back to another one
    } else if (resolver == "path") {
      if (!config_.path_resolver || !path.starts_with("/t/")) continue;
      const auto end = path.find('/', 3);
      const std::string_view schema =
          path.substr(3, end == std::string_view::npos ? path.size() - 3 : end - 3);
      r.path_prefix = end == std::string_view::npos ? path.size() : end;
      if (const Tenant* t = catalog.find_schema(schema)) return finish(r, t, "path");
      r.resolver = "path";
      return r;
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
  for (const std::string& public_host : config_.public_hosts)
    if (host == public_host) {
      r.kind = Resolution::Kind::kPublic;
      r.resolver = "public";
      return r;
    }
  if (config_.unknown_host == "public") r.kind = Resolution::Kind::kPublic;
  return r;
}

}  // namespace tenantry::tenancy

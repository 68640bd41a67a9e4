#include "tenantry/tenancy/public_hosts.hpp"

#include <algorithm>

#include "tenantry/tenancy/tenant_resolver.hpp"

namespace tenantry::tenancy {

namespace {

bool listed(const std::vector<std::string>& hosts, bool strip_www, std::string_view host) {
  if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) return true;
  return strip_www && host.starts_with("www.") &&
         std::find(hosts.begin(), hosts.end(), host.substr(4)) != hosts.end();
}

}  // namespace

PublicHosts::PublicHosts(const Config::Tenancy& tenancy) : strip_www_(tenancy.strip_www) {
  for (const std::string& host : tenancy.public_hosts) hosts_.push_back(TenantResolver::normalise_host(host));
}

bool PublicHosts::contains(std::string_view host) const {
  return listed(hosts_, strip_www_, host);
}

}  // namespace tenantry::tenancy

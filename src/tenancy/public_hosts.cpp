#include "tenantry/tenancy/public_hosts.hpp"

#include <algorithm>

#include "tenantry/db/schema_name.hpp"
#include "tenantry/tenancy/tenant_resolver.hpp"

namespace tenantry::tenancy {

namespace {

const Config::Tenancy kDefaultTenancy{};

bool listed(const std::vector<std::string>& hosts, bool strip_www, std::string_view host) {
  if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) return true;
  return strip_www && host.starts_with("www.") &&
         std::find(hosts.begin(), hosts.end(), host.substr(4)) != hosts.end();
}

}  // namespace

PublicHosts::PublicHosts(const Config::Tenancy& tenancy) : strip_www_(tenancy.strip_www) {
  for (const std::string& host : tenancy.public_hosts) hosts_.push_back(TenantResolver::normalise_host(host));
  reserved_ = hosts_;
  reserved_.insert(reserved_.end(), {"localhost", "127.0.0.1"});
}

bool PublicHosts::contains(std::string_view host) const {
  return listed(hosts_, strip_www_, host);
}

void PublicHosts::check_tenant_domain(const DomainName& domain) const {
  const std::string& name = domain.str();
  if (listed(reserved_, strip_www_, name) || (strip_www_ && listed(reserved_, false, "www." + name)))
    throw ValidationError("domain", "'" + name +
                                        "' is a public host (it serves the public site, see "
                                        "tenancy.public_hosts) and cannot be a tenant's domain");
}

const Config::Tenancy& default_tenancy() {
  return kDefaultTenancy;
}

}  // namespace tenantry::tenancy

#pragma once

#include "tenantry/core/task.hpp"
#include "tenantry/db/transaction.hpp"
#include "tenantry/tenancy/domain_name.hpp"
#include "tenantry/tenancy/public_hosts.hpp"
#include "tenantry/tenancy/tenant.hpp"

namespace tenantry::tenancy::detail {

/// The one way a domain is given to a tenant (tenant creation and `add_domain` alike), so that the rules hold
/// on every path: a public host is refused (ValidationError), a domain of another tenant is a TenantConflict.
/// The tenant's first domain becomes primary, and so does this one with `primary` (the caller has cleared the
/// previous primary).
Task<void> insert_domain(db::Transaction& tx, const PublicHosts& public_hosts, TenantId tenant,
                         const DomainName& domain, bool primary);

}  // namespace tenantry::tenancy::detail

#pragma once

#include "tenantry/web/schema.hpp"

namespace tenantry::web {

/// A tenant as tenancy::to_json shows it (the platform admin API, signups): "Tenant" in the documents.
const Schema& tenant_schema();
/// A tenant's slug, as db::SchemaName accepts it (reserved names refused).
const Schema& slug_schema();
/// A hostname, as tenancy::DomainName accepts it once normalised.
const Schema& domain_schema();

}  // namespace tenantry::web

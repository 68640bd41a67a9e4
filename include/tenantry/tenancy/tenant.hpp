#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/core/strong_id.hpp"
#include "tenantry/db/params.hpp"
#include "tenantry/db/schema_name.hpp"

namespace tenantry::tenancy {

using TenantId = StrongId<struct TenantTag>;

/// Where a tenant is in its life: only `active` tenants serve requests. `dropping` is out of service while
/// its schema is being dropped.
enum class TenantState { kProvisioning, kActive, kSuspended, kArchived, kFailed, kDropping };

std::string_view to_string(TenantState state);
/// Throws ValidationError for an unknown name.
TenantState parse_tenant_state(std::string_view name);

/// One of a tenant's hostnames.
struct Domain {
  std::string domain;
  bool is_primary = false;
};

/// A tenant's maintenance window: its API answers 503 with Retry-After to all but platform admins.
struct Maintenance {
  db::Timestamp since{};
  int retry_after_seconds = 300;
  std::optional<std::string> message;
};

/// A row of the tenant catalog with its domains.
struct Tenant {
  TenantId id;
  db::SchemaName schema;
  std::string name;
  TenantState state = TenantState::kProvisioning;
  std::string plan;
  std::string settings_json = "{}";
  std::optional<std::string> state_reason;
  db::Timestamp created_at{}, updated_at{};
  std::vector<Domain> domains;
  /// The digest of the migrations applied to its schema (null: never recorded); a tenant whose digest is not
  /// the code's is behind (or its migration failed).
  std::optional<std::string> migrations_digest;
  /// Set while the tenant is in maintenance (TenantCatalog::start_maintenance).
  std::optional<Maintenance> maintenance;

  std::optional<std::string> primary_domain() const;
};

}  // namespace tenantry::tenancy

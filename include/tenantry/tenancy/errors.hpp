#pragma once

#include <stdexcept>

namespace tenantry::tenancy {

/// No tenant (or domain) by that name.
class TenantNotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The request contradicts the catalog: a slug or domain already taken, or a state change not allowed.
class TenantConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Creating or cloning a tenant failed; nothing of it was left behind.
class ProvisioningError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tenantry::tenancy

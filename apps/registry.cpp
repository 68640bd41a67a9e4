#include "apps/registry.hpp"

#include <array>

#include "apps/accounts/accounts_app.hpp"
#include "apps/catalog/catalog_app.hpp"
#include "tenantry/tenancy/tenancy_app.hpp"

namespace tenantry::apps {

std::span<const migrations::App* const> installed() {
  static const std::array<const migrations::App*, 3> apps{&tenancy::app(), &accounts::app(), &catalog::app()};
  return apps;
}

}  // namespace tenantry::apps

#include "apps/registry.hpp"

#include <array>

#include "apps/catalog/catalog_app.hpp"
#include "tenantry/tenancy/tenancy_app.hpp"

namespace tenantry::apps {

std::span<const migrations::App* const> installed() {
  static const std::array<const migrations::App*, 2> apps{&tenancy::app(), &catalog::app()};
  return apps;
}

}  // namespace tenantry::apps

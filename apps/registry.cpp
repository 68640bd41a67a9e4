#include "apps/registry.hpp"

#include <array>

#include "apps/accounts/accounts_app.hpp"
#include "apps/admin/admin_app.hpp"
#include "apps/catalog/catalog_app.hpp"
#include "apps/service/service_app.hpp"
#include "tenantry/tenancy/tenancy_app.hpp"

namespace tenantry::apps {

std::span<const migrations::App* const> installed() {
  // service after catalog: tickets reference products.
  static const std::array<const migrations::App*, 5> apps{&tenancy::app(), &accounts::app(), &admin::app(),
                                                          &catalog::app(), &service::app()};
  return apps;
}

}  // namespace tenantry::apps

#include "apps/demo/demo_data.hpp"

#include <array>

#include "apps/accounts/accounts_app.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"

namespace tenantry::apps::demo {

namespace {

struct Store {
  const char* slug;
  const char* name;
  const char* plan;
};
constexpr std::array<Store, 3> kStores{{{"northwind", "Northwind Repairs", "pro"},
                                        {"acme", "ACME Tech Service", "free"},
                                        {"globex", "Globex Device Clinic", "enterprise"}}};

struct Product {
  const char* sku;
  const char* name;
  const char* category;
  std::int64_t price_cents;
  std::int64_t stock;
};
constexpr std::array<Product, 8> kProducts{{{"SCR-IP13", "iPhone 13 screen", "screens", 8900, 12},
                                            {"SCR-PX7", "Pixel 7 screen", "screens", 7900, 5},
                                            {"BAT-IP12", "iPhone 12 battery", "batteries", 3900, 20},
                                            {"BAT-GS22", "Galaxy S22 battery", "batteries", 4200, 0},
                                            {"CHG-USBC", "USB-C charger 30 W", "accessories", 1900, 50},
                                            {"SSD-1TB", "NVMe SSD 1 TB", "storage", 6900, 8},
                                            {"KBD-MBA", "MacBook Air keyboard", "keyboards", 12900, 3},
                                            {"FAN-TP", "ThinkPad cooling fan", "cooling", 2900, 7}}};

}  // namespace

Task<std::vector<std::string>> seed(db::Pool& pool, const migrations::MigrationPlan& tenant_plan,
                                    const Config& config) {
  std::vector<std::string> created;
  tenancy::TenantProvisioner provisioner(pool, tenant_plan);
  accounts::AuthService auth(config);
  db::Session public_db(pool);
  const auto sam =
      co_await accounts::ensure_user(public_db, auth, "sam@techstore.demo", kDemoPassword, "Sam Fixer");
  for (const Store& store : kStores) {
    const tenancy::SchemaName schema(store.slug);
    if (co_await tenancy::TenantCatalog(pool).find(schema)) continue;
    tenancy::NewTenant request{schema, store.name, {}, store.plan};
    request.domains.emplace_back(std::string(store.slug) + "." + config.tenancy.base_domain);
    const tenancy::Tenant tenant = co_await provisioner.create(request);
    const auto owner =
        co_await accounts::ensure_user(public_db, auth, "owner@" + std::string(store.slug) + ".demo",
                                       kDemoPassword, std::string("Owner of ") + store.name);
    co_await public_db.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, 'owner')",
                             owner, tenant.id);
    const std::string sam_role = store.slug == std::string_view("northwind") ? "staff" : "admin";
    if (store.slug != std::string_view("globex"))
      co_await public_db.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)", sam,
                               tenant.id, sam_role);
    const db::Session session(pool, schema.str());
    // Each store gets its own selection, so that the isolation of stores is visible at first sight.
    for (std::size_t i = 0; i < kProducts.size(); ++i) {
      if ((i + created.size()) % 3 == 2) continue;
      const Product& p = kProducts[i];
      co_await session.query(
          "INSERT INTO products (sku, name, description, category, price_cents, stock) VALUES ($1, $2, $3, "
          "$4, $5, $6)",
          p.sku, p.name, std::string("Stocked by ") + store.name, p.category, p.price_cents, p.stock);
    }
    created.emplace_back(store.slug);
  }
  co_return created;
}

}  // namespace tenantry::apps::demo

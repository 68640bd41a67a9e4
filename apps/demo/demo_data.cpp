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

struct Ticket {
  const char* customer;
  const char* email;
  const char* device;
  const char* problem;
  const char* status;  // the path walked: every status up to this one gets its event
};
constexpr std::array<Ticket, 7> kTickets{{
    {"Ada Lovelace", "ada@example.com", "iPhone 13", "Cracked screen after a drop", "received"},
    {"Alan Turing", "alan@example.com", "ThinkPad X1", "Fan noise and overheating", "diagnosing"},
    {"Grace Hopper", "grace@example.com", "Galaxy S22", "Battery drains in two hours", "waiting_parts"},
    {"Linus Torvalds", "linus@example.com", "MacBook Air", "Sticky keys", "repairing"},
    {"Margaret Hamilton", "margaret@example.com", "Pixel 7", "Display flickers", "ready"},
    {"Dennis Ritchie", "dennis@example.com", "Dell XPS", "No boot after update", "delivered"},
    {"Barbara Liskov", "barbara@example.com", "iPad Air", "Customer changed their mind", "cancelled"},
}};
constexpr std::array<const char*, 6> kPath{"received",  "diagnosing", "waiting_parts",
                                           "repairing", "ready",      "delivered"};

/// Tickets in every state, each with the events of the path that led there.
Task<void> seed_tickets(const db::Session& store, std::int64_t staff_user) {
  for (const Ticket& t : kTickets) {
    const bool closed =
        std::string_view(t.status) == "delivered" || std::string_view(t.status) == "cancelled";
    auto id =
        (co_await store.query("INSERT INTO tickets (customer_name, customer_email, device, problem, status, "
                              "assigned_to, closed_at) "
                              "VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END) RETURNING id",
                              t.customer, t.email, t.device, t.problem, t.status, staff_user, closed))
            .one()
            .get<std::int64_t>(0);
    co_await store.query(
        "INSERT INTO ticket_events (ticket_id, kind, to_status, user_id) VALUES ($1, 'created', 'received', "
        "$2)",
        id, staff_user);
    const char* previous = "received";
    for (const char* step : kPath) {
      if (std::string_view(step) == "received") continue;
      const bool cancelled = std::string_view(t.status) == "cancelled";
      const char* to = cancelled ? "cancelled" : step;
      if (std::string_view(previous) == t.status) break;
      co_await store.query(
          "INSERT INTO ticket_events (ticket_id, kind, from_status, to_status, user_id) VALUES ($1, "
          "'status', $2, $3, $4)",
          id, previous, to, staff_user);
      previous = to;
      if (cancelled || std::string_view(to) == t.status) break;
    }
  }
}

}  // namespace

Task<std::vector<std::string>> seed(db::Pool& pool, const migrations::MigrationPlan& tenant_plan,
                                    const Config& config) {
  std::vector<std::string> created;
  tenancy::TenantProvisioner provisioner(pool, tenant_plan, config.tenancy);
  auth::AuthService auth(config);
  db::Session public_db(pool);
  const auto sam =
      co_await accounts::ensure_user(public_db, auth, "sam@techstore.demo", kDemoPassword, "Sam Fixer");
  const tenancy::TenantCatalog catalog(pool);
  for (const Store& store : kStores) {
    const db::SchemaName schema(store.slug);
    if (co_await catalog.find(schema)) continue;
    tenancy::NewTenant request{schema, store.name, {}, store.plan};
    request.domains.push_back(tenancy::default_domain(schema, config.tenancy.base_domain));
    const tenancy::Tenant tenant = co_await provisioner.create(request);
    const std::string owner_email = "owner@" + std::string(store.slug) + ".demo";
    const std::string owner_name = std::string("Owner of ") + store.name;
    const auto owner =
        co_await accounts::ensure_user(public_db, auth, owner_email, kDemoPassword, owner_name);
    co_await public_db.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, 'owner')",
                             owner, tenant.id);
    const std::string sam_role = store.slug == std::string_view("northwind") ? "staff" : "admin";
    if (store.slug != std::string_view("globex"))
      co_await public_db.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)", sam,
                               tenant.id, sam_role);
    const db::Session session(pool, schema);
    co_await seed_tickets(session, owner);
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

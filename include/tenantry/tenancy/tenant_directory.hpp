#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/connect_options.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/tenancy/tenant.hpp"

namespace boost::asio {
class io_context;
}

namespace tenantry::tenancy {

/// An immutable copy of the whole catalog, indexed for request routing.
struct CatalogSnapshot {
  std::unordered_map<std::string, std::shared_ptr<const Tenant>> by_domain;
  std::unordered_map<std::string, std::shared_ptr<const Tenant>> by_schema;
  std::uint64_t version = 0;
  const Tenant* find_domain(std::string_view host) const;
  const Tenant* find_schema(std::string_view schema) const;
};

/// The tenant catalog held in memory, so that resolving a tenant costs no query. A listener on the
/// `tenantry_catalog` channel reloads it after every change made by any process (within a second); after a
/// lost connection it reconnects and reloads, since notifications may have been missed meanwhile.
/// snapshot() is safe from any thread.
class TenantDirectory {
 public:
  explicit TenantDirectory(db::ConnectOptions options) : options_(std::move(options)) {}

  /// Loads the catalog once.
  Task<void> load(db::Pool& pool);
  /// Replaces the catalog with `tenants`, as load() does with the rows it read: for a caller that has the
  /// catalog already (tests of the resolver, without a database).
  void replace(std::vector<Tenant> tenants);
  /// Listens and reloads until `stop()`; run it on one io_context. The control plane has connections of
  /// its own, the listener's and one to reload on, so that a change (a tenant suspended) takes effect
  /// within a second even while the request pools are saturated.
  Task<void> watch(boost::asio::io_context& io);
  void stop() { stopping_ = true; }

  std::shared_ptr<const CatalogSnapshot> snapshot() const {
    return snapshot_.load(std::memory_order_acquire);
  }
  std::uint64_t reloads() const noexcept { return reloads_.load(); }

 private:
  void store(std::uint64_t ticket, std::vector<Tenant> tenants);

  db::ConnectOptions options_;
  std::atomic<std::shared_ptr<const CatalogSnapshot>> snapshot_{std::make_shared<const CatalogSnapshot>()};
  std::atomic<std::uint64_t> reloads_{0};
  // Loads may overlap (a NOTIFY-triggered one and an explicit one after a change): only a load that started
  // later than the stored one may replace it, so a slow, stale load never overwrites a fresh one.
  std::atomic<std::uint64_t> load_tickets_{0};
  std::mutex store_mutex_;
  std::uint64_t stored_ticket_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace tenantry::tenancy

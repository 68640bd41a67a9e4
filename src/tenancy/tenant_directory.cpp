#include "tenantry/tenancy/tenant_directory.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tenantry/db/errors.hpp"
#include "tenantry/db/listener.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::tenancy {

const Tenant* CatalogSnapshot::find_domain(std::string_view host) const {
  auto it = by_domain.find(std::string(host));
  return it == by_domain.end() ? nullptr : it->second.get();
}

const Tenant* CatalogSnapshot::find_schema(std::string_view schema) const {
  auto it = by_schema.find(std::string(schema));
  return it == by_schema.end() ? nullptr : it->second.get();
}

Task<void> TenantDirectory::load(db::Pool& pool) {
  const std::uint64_t ticket = ++load_tickets_;
  auto tenants = co_await TenantCatalog(pool).list();
  store(ticket, std::move(tenants));
}

void TenantDirectory::replace(std::vector<Tenant> tenants) {
  store(++load_tickets_, std::move(tenants));
}

void TenantDirectory::store(std::uint64_t ticket, std::vector<Tenant> tenants) {
  auto next = std::make_shared<CatalogSnapshot>();
  next->version = reloads_ + 1;
  for (auto& t : tenants) {
    auto shared = std::make_shared<const Tenant>(std::move(t));
    next->by_schema.emplace(shared->schema.str(), shared);
    for (const auto& d : shared->domains) next->by_domain.emplace(d.domain, shared);
  }
  std::lock_guard lock(store_mutex_);
  if (ticket < stored_ticket_) return;
  stored_ticket_ = ticket;
  snapshot_.store(std::move(next), std::memory_order_release);
  ++reloads_;
}

Task<void> TenantDirectory::watch(boost::asio::io_context& io) {
  boost::asio::steady_timer pause(io);
  // Reloads use a connection of their own, never a request pool's: 24 requests blocked on one tenant's
  // lock must not delay a suspension by the acquire timeout.
  db::Pool reloads(io, db::PoolConfig{.connect = options_, .max_size = 1});
  bool lost = false;  // said once per outage, not every half second
  while (!stopping_) {
    try {
      auto listener = co_await db::Listener::connect(io, options_);
      co_await listener->listen("tenantry_catalog");
      co_await load(reloads);  // whatever changed while nobody listened
      if (lost) spdlog::info("catalog listener: reconnected");
      lost = false;
      while (!stopping_) {
        co_await listener->next();
        co_await load(reloads);
      }
    } catch (const db::Error& e) {
      if (!stopping_ && !lost) spdlog::warn("catalog listener: {}; reconnecting", e.what());
      lost = true;
    }
    if (lost && !stopping_) {
      pause.expires_after(std::chrono::milliseconds(500));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
  }
  reloads.close();
}

}  // namespace tenantry::tenancy

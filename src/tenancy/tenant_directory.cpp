#include "tenantry/tenancy/tenant_directory.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>

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
  const TenantCatalog catalog(pool);
  auto tenants = co_await catalog.list();
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
  // Reloads use a connection of their own, never a request pool's: 24 requests blocked on one tenant's
  // lock must not delay a suspension by the acquire timeout.
  db::Pool reloads(io, db::PoolConfig{.connect = options_, .max_size = 1});
  const db::ListenLoop loop{
      .channel = "tenantry_catalog",
      .name = "catalog listener",
      .on_connected = [this, &reloads] { return load(reloads); },  // whatever changed while nobody listened
      .on_notify = [this, &reloads](const db::Notification&) { return load(reloads); },
      .stop = &stopping_};
  co_await db::listen(io, options_, loop);
  reloads.close();
}

}  // namespace tenantry::tenancy

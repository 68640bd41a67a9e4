#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tenantry/core/spawn.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "web/detail/application_impl.hpp"

namespace tenantry::web {

void Application::Impl::start_background(boost::asio::io_context& io) {
  db::Pool& pool = *pools[0].second;
  // The catalog listener reloads on a connection of its own (see TenantDirectory::watch).
  spawn(io, directory.watch(io), "catalog listener");
  // Spares are schemas: built by the owner.
  if (config.tenancy.spare_schemas > 0) spawn(io, keep_spares(io, *owner_pools[0]), "spare schema refill");
  spawn(io, recover_provisioning(io, pool), "provisioning recovery");
  for (const auto& watcher : routes.watchers) spawn(io, watcher(io, pool), "app watcher");
}

// Keeps the ready-made schemas topped up, off the request path; a check costs one small query a second.
Task<void> Application::Impl::keep_spares(boost::asio::io_context& io, db::Pool& pool) {
  boost::asio::steady_timer pause(io);
  tenancy::TenantProvisioner provisioner(pool, tenant_plan);
  for (;;) {
    try {
      co_await provisioner.refill_spares(static_cast<std::size_t>(config.tenancy.spare_schemas));
    } catch (const db::Error& e) {
      // An outage is the monitor's to log, once; this loop would say it every second.
      if (db::is_database_unavailable(e))
        outage.failed(e.what());
      else
        spdlog::warn("refilling spare tenant schemas: {}", e.what());
    } catch (const std::exception& e) {
      spdlog::warn("refilling spare tenant schemas: {}", e.what());
    }
    pause.expires_after(std::chrono::seconds(1));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

// A killed `tenant create` leaves a `provisioning` row that would answer 503 "being created" forever: found
// and removed within seconds (a query every 2 s, cheap when there is nothing to do).
namespace {

bool any_provisioning(const tenancy::CatalogSnapshot& catalog) {
  return std::any_of(catalog.by_schema.begin(), catalog.by_schema.end(), [](const auto& entry) {
    return entry.second->state == tenancy::TenantState::kProvisioning;
  });
}

}  // namespace

Task<void> Application::Impl::recover_provisioning(boost::asio::io_context& io, db::Pool& pool) {
  boost::asio::steady_timer pause(io);
  tenancy::TenantProvisioner provisioner(pool, tenant_plan);
  for (;;) {
    std::size_t removed = 0;
    try {
      // The catalog in memory shows every reservation (its commit notifies): no query while there is none,
      // so that an idle or busy server sends nothing to the catalog tables.
      if (any_provisioning(*directory.snapshot()))
        removed = (co_await provisioner.recover_abandoned()).size();
    } catch (const std::exception& e) {
      spdlog::warn("recovering abandoned tenant provisioning: {}", e.what());
    }
    if (removed > 0) co_await directory.load(pool);  // the NOTIFY does it too; this one is at once
    pause.expires_after(std::chrono::seconds(2));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace tenantry::web

#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/this_coro.hpp>
#include <functional>
#include <stdexcept>

#include "tenantry/core/offload.hpp"
#include "web/detail/application_impl.hpp"

namespace tenantry::web {

Task<std::size_t> Application::Impl::current_thread() const {
  auto executor = co_await boost::asio::this_coro::executor;
  auto* context = &boost::asio::query(executor, boost::asio::execution::context);
  for (std::size_t i = 0; i < pools.size(); ++i)
    if (pools[i].first == context) co_return i;
  throw std::logic_error("request on an io_context without a pool");
}

std::size_t Application::Impl::tenant_thread(const tenancy::Tenant& tenant) const {
  // The high bits: the pool spreads tenants over its connections by the low ones.
  return (std::hash<std::string>{}(tenant.schema.str()) >> 40) % pools.size();
}

std::size_t Application::Impl::owner_thread(const tenancy::Tenant* tenant, std::size_t here) const {
  return tenant && config.server.tenant_affinity ? tenant_thread(*tenant) : here;
}

// Not a coroutine: it hands back the awaitable of run_on, so that hopping costs no frame of its own.
Task<http::Response> Application::Impl::on_thread(std::size_t thread, Task<http::Response> task) const {
  return run_on(pools[thread].second->io(), std::move(task));
}

void Application::Impl::open_thread(boost::asio::io_context& io, std::size_t index) {
  pools[index] = {&io, std::make_unique<db::Pool>(io, pool_config())};
  owner_pools[index] = std::make_unique<db::Pool>(io, owner_pool_config());
  if (index != 0) return;
  control_pool = std::make_unique<db::Pool>(io, control_pool_config());
  start_background(io);
}

void Application::Impl::close_thread(std::size_t index) {
  if (index == 0) {
    directory.stop();
    control_pool->close();
  }
  pools[index].second->close();
  owner_pools[index]->close();
}

}  // namespace tenantry::web

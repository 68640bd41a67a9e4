#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "tenantry/db/session.hpp"
#include "tenantry/http/problem.hpp"
#include "web/detail/application_impl.hpp"

namespace tenantry::web {

namespace {

/// How many tenants /readyz names at most (the count is always complete).
constexpr std::int64_t kReadyzTenantList = 20;
}  // namespace

// server.metrics_listen is for operators and their scrapers only: no tenants, no token, not counted in the
// request metrics.
Task<http::Response> Application::Impl::handle_ops(http::Request& request) {
  if (request.path == "/healthz") co_return http::Response::json(200, {{"status", "ok"}});
  if (request.path == "/readyz") co_return co_await readiness(*ops_pool, true);
  if (request.path == "/metrics") co_return metrics_response();
  co_return http::to_response(
      http::Problem::not_found("This listener serves /metrics, /healthz and /readyz only."));
}

void Application::Impl::start_ops_server() {
  if (config.server.metrics_listen.empty()) return;
  http::ServerOptions options = server_options(config);  // the main listener's limits and timeouts
  detail::set_listen(options, config.server.metrics_listen);
  options.threads = 1;
  db::PoolConfig pool = pool_config();
  pool.max_size = 1;
  ops_server = std::make_unique<http::Server>(
      options, [this](http::Request& request) { return handle_ops(request); },
      [this, pool](boost::asio::io_context& io, std::size_t) {
        ops_pool = std::make_unique<db::Pool>(io, pool);
      },
      [this](boost::asio::io_context&, std::size_t) { ops_pool->close(); });
  ops_server->start();
}

// The instance's readiness: the database answers and the shared schema is current. Tenants that are behind
// answer their own 503 tenant-migrating; they are listed here, not a reason to take the instance out.
Task<http::Response> Application::Impl::readiness(db::Pool& pool, bool list_tenants) {
  boost::json::object checks, migrating;
  bool ready = true;
  try {
    const db::Session session(pool);
    auto applied = co_await session.query("SELECT app, name, checksum FROM tenantry_shared_migrations");
    std::size_t current = 0;
    for (auto row : applied)
      if (const auto* m = shared_plan.find(row.get<std::string_view>(0), row.get<std::string_view>(1)))
        current += m->checksum == row.get<std::string_view>(2);
    const bool shared_ok = current == shared_plan.migrations().size();
    // The count is over every row, the list bounded: the window runs before the LIMIT.
    auto behind = co_await session.query(
        "SELECT schema_name, count(*) OVER () FROM tenants WHERE state = 'active' AND migrations_digest IS "
        "DISTINCT FROM $1 ORDER BY schema_name LIMIT $2",
        tenant_plan.digest(), kReadyzTenantList);
    boost::json::array names;
    for (auto row : behind) names.emplace_back(row.get<std::string_view>(0));
    migrating["count"] = behind.empty() ? 0 : behind.one().get<std::int64_t>(1);
    if (list_tenants) migrating["tenants"] = std::move(names);
    checks["database"] = "ok";
    checks["shared_migrations"] = shared_ok ? "current" : "pending";
    ready = shared_ok;
  } catch (const std::exception& e) {
    checks["database"] = "unreachable";
    ready = false;
  }
  boost::json::object body{{"status", ready ? "ready" : "not ready"}, {"checks", checks}};
  if (!migrating.empty()) body["tenants_migrating"] = std::move(migrating);
  co_return http::Response::json(ready ? 200 : 503, std::move(body));
}

Task<http::Response> Application::Impl::control_plane_readiness(bool list_tenants) {
  if (co_await current_thread() == 0) co_return co_await readiness(*control_pool, list_tenants);
  auto task = readiness(*control_pool, list_tenants);
  auto on_control_thread = on_thread(0, std::move(task));
  co_return co_await std::move(on_control_thread);
}

}  // namespace tenantry::web

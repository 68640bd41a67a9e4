#include "tenantry/web/application.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <stdexcept>
#include <thread>

#include "tenantry/core/run_blocking.hpp"
#include "tenantry/web/openapi.hpp"
#include "web/detail/api_docs.hpp"
#include "web/detail/application_impl.hpp"

namespace tenantry::web {

namespace {

/// A configuration built in code gets the checks load_config() applies to files and variables.
Config validated(Config config) {
  validate(config);
  return config;
}
/// The server's connections: requests, the catalog, spare schemas. The timeouts travel as startup
/// parameters, so they cost no round trip; the CLI's connections (migrations, provisioning) do without.
db::ConnectOptions server_connect(const Config& config, std::string conninfo, bool tenant_roles) {
  db::ConnectOptions o{.conninfo = std::move(conninfo), .application_name = "tenantry-server"};
  o.statement_timeout = std::chrono::milliseconds(config.database.statement_timeout_ms);
  o.lock_timeout = std::chrono::milliseconds(config.database.lock_timeout_ms);
  o.tenant_roles = tenant_roles;
  return o;
}

/// database.max_connections_per_tenant, 0 meaning half the pool: at least 2, so that a handler holding a
/// transaction can still run a statement beside it.
std::size_t tenant_cap(const Config::Database& db) {
  if (db.max_connections_per_tenant > 0) return db.max_connections_per_tenant;
  return std::min(db.pool_size, std::max<std::size_t>(2, db.pool_size / 2));
}

}  // namespace

void detail::set_listen(http::ServerOptions& o, const std::string& listen) {
  const auto colon = listen.rfind(':');
  o.address = listen.substr(0, colon);
  if (o.address.size() > 2 && o.address.front() == '[') o.address = o.address.substr(1, o.address.size() - 2);
  o.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
}

http::ServerOptions server_options(const Config& config) {
  const auto& s = config.server;
  http::ServerOptions o;
  detail::set_listen(o, s.listen);
  o.threads = static_cast<std::size_t>(s.threads);
  o.max_header_bytes = static_cast<std::size_t>(s.max_header_bytes);
  o.max_body_bytes = static_cast<std::size_t>(s.max_body_bytes);
  o.header_timeout = std::chrono::milliseconds(s.header_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(s.idle_timeout_ms);
  o.max_connections = static_cast<std::size_t>(s.max_connections);
  o.drain_timeout = std::chrono::milliseconds(s.drain_timeout_ms);
  o.access_log = s.access_log;
  o.access_log_json = config.log.format == "json";
  return o;
}

Application::Impl::Impl(Config c, DatabaseUrls urls, Routes r, const migrations::MigrationPlan& shared,
                        const migrations::MigrationPlan& tenant)
    : config(validated(std::move(c))),
      connect(server_connect(config, std::move(urls.runtime), true)),
      owner_connect(server_connect(config, std::move(urls.owner), false)),
      routes(std::move(r)),
      shared_plan(shared),
      tenant_plan(tenant),
      directory(connect),
      forwarded_origin(config.server.trusted_proxies),
      cors(config.server.cors_origins, config.server.cors_allow_credentials) {
  publish_live(std::make_unique<const Config>(config));
  if (!config.server.metrics_token.empty()) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    metrics_token = detail::digest(config.server.metrics_token);
  }
  // Documented from the same tables the router matches.
  for (auto* table : {&routes.public_routes, &routes.tenant_routes}) {
    const bool is_public = table == &routes.public_routes;
    table->add("GET", "/api/openapi.json",
               [this, is_public](RequestContext& ctx) -> Task<http::Response> {
                 co_return detail::openapi_response(ctx.request, is_public ? public_openapi : tenant_openapi);
               },
               {.summary = "This API's OpenAPI 3.1 document",
                .tags = {"meta"},
                .operation_id = "getOpenApiDocument",
                .replies = {{200, Schema::any_object(), "The document, its servers naming this address"}}});
    table->add("GET", "/api/docs",
               [](RequestContext&) -> Task<http::Response> { co_return detail::api_docs_page(); },
               {.summary = "This API's documentation, for people",
                .tags = {"meta"},
                .operation_id = "getApiDocs",
                .replies = {{200, Schema::string(), "An HTML page rendering openapi.json", "text/html"}}});
    for (std::size_t i = 0; i < table->routes().size(); ++i) {
      if (table->handler(i).operation.access.kind != Access::Kind::kPublic && !routes.auth)
        throw std::logic_error(table->routes()[i].path_template +
                               " requires a token, and no AuthService checks it");
    }
  }
  // Built once, here, with every route (this one included) in its table: requests on any I/O thread only
  // read them, where a lazily filled cache would be written by two threads at once.
  public_openapi =
      boost::json::serialize(openapi_document(routes.public_routes, "Tenantry public API", false));
  tenant_openapi =
      boost::json::serialize(openapi_document(routes.tenant_routes, "Tenantry tenant API", true));
}

void Application::Impl::publish_live(std::unique_ptr<const Config> next) {
  auto resolver = std::make_unique<const tenancy::TenantResolver>(next->tenancy, directory);
  live_resolver.store(resolver.get(), std::memory_order_release);
  live_config.store(next.get(), std::memory_order_release);
  resolver_versions.push_back(std::move(resolver));
  config_versions.push_back(std::move(next));
}

db::PoolConfig Application::Impl::pool_config() const {
  return db::PoolConfig{
      .connect = connect,
      .max_size = config.database.pool_size,
      .acquire_timeout = std::chrono::milliseconds(config.database.acquire_timeout_ms),
      .max_connection_uses = static_cast<std::uint64_t>(config.database.max_connection_uses),
      .connections_per_tenant = config.database.connections_per_tenant,
      .affinity_wait = std::chrono::milliseconds(config.database.affinity_wait_ms),
      .prepared_statements = config.database.prepared_statements,
      .max_connections_per_tenant = tenant_cap(config.database),
      .outage = &outage};
}

db::PoolConfig Application::Impl::owner_pool_config() const {
  db::PoolConfig pool = pool_config();
  pool.connect = owner_connect;
  // Provisioning and lifecycle are rare; a fleet migration started from the API runs migrations.jobs wide.
  pool.max_size = std::max<std::size_t>(2, static_cast<std::size_t>(config.migrations.jobs));
  pool.max_connections_per_tenant = 0;
  return pool;
}

db::PoolConfig Application::Impl::control_pool_config() const {
  db::PoolConfig pool = pool_config();
  pool.max_size = 1;
  return pool;
}

Application::Application(Config config, DatabaseUrls urls, Routes routes,
                         const migrations::MigrationPlan& shared_plan,
                         const migrations::MigrationPlan& tenant_plan)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(urls), std::move(routes), shared_plan,
                                   tenant_plan)) {}

Application::~Application() {
  if (impl_->server) impl_->server->stop(false);
  if (impl_->ops_server) impl_->ops_server->stop(false);
}

void Application::start() {
  Impl& app = *impl_;
  {
    // The catalog is in memory before the first request arrives.
    boost::asio::io_context io;
    db::Pool pool(io, app.pool_config());
    run_blocking(io, app.directory.load(pool));
    for (const auto& task : app.routes.on_start) run_blocking(io, task(pool));
    pool.close();
  }
  const auto options = server_options(app.config);
  const std::size_t threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  app.pools.resize(threads);
  app.owner_pools.resize(threads);
  app.metrics =
      std::make_unique<Metrics>(threads, static_cast<std::size_t>(app.config.server.metrics_tenant_labels));
  app.server = std::make_unique<http::Server>(
      options, [&app](http::Request& request) { return app.handle(request); },
      [&app](boost::asio::io_context& io, std::size_t index) { app.open_thread(io, index); },
      [&app](boost::asio::io_context&, std::size_t index) { app.close_thread(index); });
  app.server->observe([&app](std::size_t thread, const http::Request& request, const http::Response& response,
                             std::chrono::steady_clock::duration elapsed) {
    app.count_response(thread, request, response, elapsed);
  });
  app.server->start();
  app.start_ops_server();
  spdlog::info("serving {} tenants on http://{}:{}", app.directory.snapshot()->by_schema.size(),
               options.address, app.server->local_port());
}

void Application::stop(bool graceful) {
  if (impl_->server) impl_->server->stop(graceful);
  if (impl_->ops_server) impl_->ops_server->stop(graceful);
}

void Application::wait() {
  if (impl_->server) impl_->server->wait();
  if (impl_->ops_server) impl_->ops_server->wait();
}

std::uint16_t Application::port() const {
  return impl_->server ? impl_->server->local_port() : 0;
}

std::uint16_t Application::metrics_port() const {
  return impl_->ops_server ? impl_->ops_server->local_port() : 0;
}

const http::ServerStats& Application::stats() const {
  return impl_->server->stats();
}

}  // namespace tenantry::web

#include "tenantry/web/application.hpp"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "tenantry/core/run_blocking.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/outage_monitor.hpp"
#include "tenantry/http/problem.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/errors.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/tenancy/tenant_resolver.hpp"
#include "tenantry/web/openapi.hpp"

namespace tenantry::web {

namespace {

using tenancy::Resolution;

/// A configuration built in code gets the checks load_config() applies to files and variables.
Config validated(Config config) {
  validate(config);
  return config;
}

http::Response problem(int status, std::string type, std::string title, std::string detail) {
  http::Problem p;
  p.status = status;
  p.type = std::move(type);
  p.title = std::move(title);
  p.detail = std::move(detail);
  return http::to_response(p);
}

/// HOST:PORT (validated by the configuration) into the options.
void set_listen(http::ServerOptions& o, const std::string& listen) {
  const auto colon = listen.rfind(':');
  o.address = listen.substr(0, colon);
  if (o.address.size() > 2 && o.address.front() == '[') o.address = o.address.substr(1, o.address.size() - 2);
  o.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
}

// Tokens are compared as BLAKE2b digests with sodium_memcmp: how long a comparison takes says nothing about
// the token, not even its length.
using TokenDigest = std::array<unsigned char, crypto_generichash_BYTES>;

TokenDigest digest(std::string_view token) {
  TokenDigest d;
  crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return d;
}

/// The server's connections: requests, the catalog, spare schemas. The timeouts travel as startup
/// parameters, so they cost no round trip; the CLI's connections (migrations, provisioning) do without.
db::ConnectOptions server_connect(const Config& config, std::string conninfo) {
  db::ConnectOptions o{.conninfo = std::move(conninfo), .application_name = "tenantry-server"};
  o.statement_timeout = std::chrono::milliseconds(config.database.statement_timeout_ms);
  o.lock_timeout = std::chrono::milliseconds(config.database.lock_timeout_ms);
  return o;
}

/// A statement the database gave up on (a timeout): the request may well succeed a moment later.
http::Problem database_timeout() {
  return http::Problem{.type = "database-timeout",
                       .title = "Database timeout",
                       .status = 503,
                       .detail = "The database did not answer in time; retry shortly.",
                       .retry_after = 2};
}

/// The database is out of reach (stopped, restarting, refusing connections): a restart takes seconds.
http::Problem database_unavailable() {
  return http::Problem{.type = "database-unavailable",
                       .title = "Database unavailable",
                       .status = 503,
                       .detail = "The database cannot be reached; retry shortly.",
                       .retry_after = 5};
}

/// database.max_connections_per_tenant, 0 meaning half the pool: at least 2, so that a handler holding a
/// transaction can still run a statement beside it.
std::size_t tenant_cap(const Config::Database& db) {
  if (db.max_connections_per_tenant > 0) return db.max_connections_per_tenant;
  return std::min(db.pool_size, std::max<std::size_t>(2, db.pool_size / 2));
}

/// A tenant whose schema is behind the code's migrations (or whose migration failed): its own requests wait
/// for `tenantry migrate`, the instance stays ready for the others.
http::Response tenant_migrating() {
  return http::to_response(http::Problem{
      .type = "tenant-migrating",
      .title = "Tenant migrating",
      .status = 503,
      .detail = "This store is being upgraded; retry shortly.",  // no schema: see tenant-suspended
      .retry_after = 5});
}

/// How many tenants /readyz names at most (the count is always complete).
constexpr std::int64_t kReadyzTenantList = 20;

http::Response metrics_unauthorized() {
  auto response = problem(401, "not-authenticated", "Not authenticated",
                          "Send 'Authorization: Bearer <server.metrics_token>'.");
  response.add_header("WWW-Authenticate", "Bearer realm=\"metrics\"");
  return response;
}

}  // namespace

http::ServerOptions server_options(const Config& config) {
  const auto& s = config.server;
  http::ServerOptions o;
  set_listen(o, s.listen);
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

struct Application::Impl {
  Impl(Config c, std::string conninfo, Routes r, const migrations::MigrationPlan& shared,
       const migrations::MigrationPlan& tenant)
      : config(validated(std::move(c))),
        connect(server_connect(config, std::move(conninfo))),
        routes(std::move(r)),
        shared_plan(shared),
        tenant_plan(tenant),
        directory(connect) {
    publish_live(std::make_unique<const Config>(config));
    if (!config.server.metrics_token.empty()) {
      if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
      metrics_token = digest(config.server.metrics_token);
    }
    // Documented from the same tables the router matches.
    for (auto* table : {&routes.public_routes, &routes.tenant_routes}) {
      const bool is_public = table == &routes.public_routes;
      table->add("GET", "/api/openapi.json",
                 [this, is_public](RequestContext&) -> Task<http::Response> {
                   http::Response response;
                   response.content_type = "application/json";
                   response.body = is_public ? public_openapi : tenant_openapi;
                   co_return response;
                 },
                 {.summary = "This API's OpenAPI 3.1 document", .tags = {"meta"}});
    }
    // Built once, here, with every route (this one included) in its table: requests on any I/O thread only
    // read them, where a lazily filled cache would be written by two threads at once.
    public_openapi = boost::json::serialize(openapi_document(routes.public_routes, "Tenantry public API"));
    tenant_openapi = boost::json::serialize(openapi_document(routes.tenant_routes, "Tenantry tenant API"));
  }
  std::string public_openapi, tenant_openapi;  // the documents, built by the constructor

  Config config;
  db::ConnectOptions connect;
  Routes routes;
  const migrations::MigrationPlan& shared_plan;
  const migrations::MigrationPlan& tenant_plan;
  tenancy::TenantDirectory directory;
  /// What a reload (SIGHUP) changes: the configuration requests see and the resolver built from it. A
  /// request reads the current versions with one atomic load each, no lock; versions replaced stay alive
  /// until the application ends, since requests in flight may still use them (a reload is rare, a version a
  /// few kilobytes). `config` above stays the start-up configuration, for what only a restart changes.
  std::atomic<const Config*> live_config{nullptr};
  std::atomic<const tenancy::TenantResolver*> live_resolver{nullptr};
  std::mutex reload_mutex;
  std::vector<std::unique_ptr<const Config>> config_versions;
  std::vector<std::unique_ptr<const tenancy::TenantResolver>> resolver_versions;
  /// Makes `next` what requests that start from now on see (the caller holds reload_mutex, or is the
  /// constructor). The resolver is built first: it throws ConfigError for unusable trusted networks.
  void publish_live(std::unique_ptr<const Config> next) {
    auto resolver = std::make_unique<const tenancy::TenantResolver>(next->tenancy, directory);
    live_resolver.store(resolver.get(), std::memory_order_release);
    live_config.store(next.get(), std::memory_order_release);
    resolver_versions.push_back(std::move(resolver));
    config_versions.push_back(std::move(next));
  }
  /// Logs an outage of the database once, and its end; the pools and the request error mapping report to
  /// it. Declared before the pools, which hold a pointer to it; mutable: reporting is not a change of the
  /// application.
  mutable db::OutageMonitor outage;
  // One pool per I/O thread, found through the io_context a request's coroutine runs on: a connection lives
  // on one thread, so its requests always use that thread's pool, without locks.
  std::vector<std::pair<boost::asio::execution_context*, std::unique_ptr<db::Pool>>> pools;
  std::unique_ptr<Metrics> metrics;
  /// The index of the I/O thread running the calling coroutine (its pool and metrics shard).
  Task<std::size_t> current_thread() const {
    auto executor = co_await boost::asio::this_coro::executor;
    auto* context = &boost::asio::query(executor, boost::asio::execution::context);
    for (std::size_t i = 0; i < pools.size(); ++i)
      if (pools[i].first == context) co_return i;
    throw std::logic_error("request on an io_context without a pool");
  }
  /// The control plane's pool on I/O thread 0 (/readyz): its own connection, so that readiness says whether
  /// the database answers even while request pools are saturated (e.g. a lock storm on one tenant).
  std::unique_ptr<db::Pool> control_pool;
  std::unique_ptr<http::Server> server;
  /// The digest of server.metrics_token, when set.
  std::optional<TokenDigest> metrics_token;
  /// The listener of server.metrics_listen, and the pool of its one thread (for /readyz). The pool is
  /// declared first so that it outlives the thread.
  std::unique_ptr<db::Pool> ops_pool;
  std::unique_ptr<http::Server> ops_server;

  db::PoolConfig pool_config() const {
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
  /// A small pool for the control plane: public statements only, apart from the requests' pools.
  db::PoolConfig control_pool_config() const {
    db::PoolConfig pool = pool_config();
    pool.max_size = 1;
    return pool;
  }

  Task<http::Response> handle(http::Request& request);
  void count_response(std::size_t thread, const http::Request& request, const http::Response& response,
                      std::chrono::steady_clock::duration elapsed) const;
  Task<http::Response> resolve_and_route(http::Request& request, std::string& route_label);
  Task<http::Response> route(const RouteTable& table, http::Request& request, const tenancy::Tenant* tenant,
                             std::string& route_label);
  /// The I/O thread whose pool serves `tenant`.
  std::size_t tenant_thread(const tenancy::Tenant& tenant) const;
  /// Runs the handler on I/O thread `thread` (the caller's job to be there), with that thread's pool.
  Task<http::Response> vanished_schema(const tenancy::Tenant* tenant, db::Pool& pool,
                                       std::exception_ptr error);
  Task<http::Response> run_handler(const RouteTable::Found& found, http::Request& request,
                                   const tenancy::Tenant* tenant, std::size_t thread);
  std::string render_metrics() const;
  http::Response metrics_response() const {
    return http::Response::text(200, render_metrics(), "text/plain; version=0.0.4; charset=utf-8");
  }
  http::Response guarded_metrics(const http::Request& request) const;
  Task<http::Response> handle_ops(http::Request& request);
  void start_ops_server();
  Task<void> keep_spares(boost::asio::io_context& io, db::Pool& pool);
  Task<void> recover_provisioning(boost::asio::io_context& io, db::Pool& pool);
  /// `list_tenants`: name the tenants that are behind (not on a tenant's host: it must not learn the others).
  Task<http::Response> readiness(db::Pool& pool, bool list_tenants);
  /// /readyz on the main listener: readiness() on the control pool, from whichever thread asks.
  Task<http::Response> control_plane_readiness(bool list_tenants);
};

// Counted by count_response() once the server has the response, whatever produced it: what this finds out
// (route, tenant, database cost) travels in the request's annotations, which survive a thrown error.
Task<http::Response> Application::Impl::handle(http::Request& request) {
  co_return co_await resolve_and_route(request, request.annotations.route);
}

void Application::Impl::count_response(std::size_t thread, const http::Request& request,
                                       const http::Response& response,
                                       std::chrono::steady_clock::duration elapsed) const {
  const auto& a = request.annotations;
  metrics->record(thread,
                  {.route = a.route.empty() ? std::string_view("unmatched") : std::string_view(a.route),
                   .method = request.method,
                   .status = response.status,
                   .tenant = a.tenant.empty() ? std::string_view(response.log_tenant) : a.tenant,
                   .duration = elapsed,
                   .db_time = a.db_time,
                   .db_rows = a.db_rows,
                   .db_statements = a.db_statements});
}

Task<http::Response> Application::Impl::resolve_and_route(http::Request& request, std::string& route_label) {
  // Liveness and readiness answer on every host, tenant or not.
  if (request.path == "/healthz") {
    route_label = "/healthz";
    co_return http::Response::json(200, {{"status", "ok"}});
  }
  if (request.path == "/readyz") {
    route_label = "/readyz";
    const Resolution where =
        live_resolver.load(std::memory_order_acquire)
            ->resolve(request.authority, request.header("X-Tenant"), request.path, request.remote_address);
    const bool list_tenants = where.kind == Resolution::Kind::kPublic;
    co_return co_await control_plane_readiness(list_tenants);
  }

  // The authority, not the Host header: an absolute-form target names its own (RFC 9112 §3.2.2).
  const Resolution r =
      live_resolver.load(std::memory_order_acquire)
          ->resolve(request.authority, request.header("X-Tenant"), request.path, request.remote_address);
  // Before anything can throw: every log line and counter of the request names its tenant.
  if (r.tenant != nullptr) request.annotations.tenant = r.tenant->schema.str();
  switch (r.kind) {
    case Resolution::Kind::kPublic:
      // The metrics name tenants, so a tenant's host has no /metrics: there it is a path like any other.
      if (request.path == "/metrics") {
        route_label = "/metrics";
        co_return guarded_metrics(request);
      }
      co_return co_await route(routes.public_routes, request, nullptr, route_label);
    case Resolution::Kind::kTenant: {
      if (r.path_prefix > 0) {
        request.path.erase(0, r.path_prefix);
        if (request.path.empty()) request.path = "/";
      }
      // One string comparison: the digest travels with the catalog, no query.
      if (r.tenant->migrations_digest != tenant_plan.digest()) co_return tenant_migrating();
      co_return co_await route(routes.tenant_routes, request, r.tenant, route_label);
    }
    case Resolution::Kind::kSuspended:
      // The detail names no schema: on a custom domain the schema is an internal name.
      co_return problem(403, "tenant-suspended", "Tenant suspended", "This store is suspended.");
    case Resolution::Kind::kProvisioning: {
      auto response = problem(503, "tenant-provisioning", "Tenant not ready",
                              "This store is being created; retry shortly.");
      response.add_header("Retry-After", "2");
      co_return response;
    }
    case Resolution::Kind::kNotFound:
      break;
  }
  co_return problem(404, "tenant-not-found", "Tenant not found", "No tenant is served at this address.");
}

Task<http::Response> Application::Impl::route(const RouteTable& table, http::Request& request,
                                              const tenancy::Tenant* tenant, std::string& route_label) {
  auto match = table.match(request.method, request.path);
  if (auto* allowed = std::get_if<RouteTable::MethodNotAllowed>(&match)) {
    auto response = http::to_response(http::Problem::method_not_allowed(
        "The method " + request.method + " is not allowed on " + request.path + "."));
    response.add_header("Allow", allowed->allow_header());
    co_return response;
  }
  auto* found = std::get_if<RouteTable::Found>(&match);
  if (found == nullptr)
    co_return http::to_response(http::Problem::not_found("No route for " + request.path + "."));
  route_label = found->route_template();
  const std::size_t here = co_await current_thread();
  const std::size_t owner = tenant && config.server.tenant_affinity ? tenant_thread(*tenant) : here;
  if (owner == here) co_return co_await run_handler(*found, request, tenant, here);
  // Another thread serves this tenant: run the handler there, with that thread's pool, so that each tenant's
  // statements keep to the same backends however the kernel spread the client connections over the threads.
  // With thousands of tenants this halves (with 2 threads) the catalog caches each backend must build.
  auto task = run_handler(*found, request, tenant, owner);
  auto on_owner =
      boost::asio::co_spawn(pools[owner].second->io(), std::move(task), boost::asio::use_awaitable);
  co_return co_await std::move(on_owner);
}

std::size_t Application::Impl::tenant_thread(const tenancy::Tenant& tenant) const {
  // The high bits: the pool spreads tenants over its connections by the low ones.
  return (std::hash<std::string>{}(tenant.schema.str()) >> 40) % pools.size();
}

Task<http::Response> Application::Impl::run_handler(const RouteTable::Found& found, http::Request& request,
                                                    const tenancy::Tenant* tenant, std::size_t thread) {
  db::Pool& pool = *pools[thread].second;
  // The pool's gauges, from the thread that owns it, however the handler ends.
  struct PublishPool {
    Impl& app;
    std::size_t thread;
    ~PublishPool() { app.metrics->publish_pool(thread, app.pools[thread].second->stats()); }
  } publish{*this, thread};
  // The configuration as of the request's start: a reload meanwhile does not change it under the handler.
  const Config& live = *live_config.load(std::memory_order_acquire);
  // The database cost of the request's own session, handed to the request once, however the handler ends.
  struct RecordCost {
    http::Request& request;
    db::QueryCost cost;
    ~RecordCost() {
      request.annotations.db_time += cost.time;
      request.annotations.db_rows += cost.rows;
      request.annotations.db_statements += cost.statements;
    }
  } cost{request, {}};
  RequestContext context{
      request,   found.params,
      tenant,    db::Session(pool, tenant ? tenant->schema : db::SchemaName::public_schema(), &cost.cost),
      live,      pool,
      directory, *metrics};
  // Errors that mean the same whatever the handler: mapped here once.
  std::optional<http::Problem> failure;
  std::exception_ptr missing_relation;
  try {
    co_return co_await (*found.handler)(context);
  } catch (const db::UndefinedTable&) {
    missing_relation = std::current_exception();
  } catch (const db::InvalidSchemaName&) {
    missing_relation = std::current_exception();
  } catch (const ValidationError& e) {
    failure = http::Problem::validation({{e.field(), e.what()}}, e.what());
  } catch (const tenancy::TenantNotFound& e) {
    failure = http::Problem::not_found(e.what());
  } catch (const tenancy::TenantConflict& e) {
    failure = http::Problem::conflict(e.what());
  } catch (const db::PoolTimeout& e) {
    failure = http::Problem{
        .type = "database-busy", .title = "Service busy", .status = 503, .detail = "Try again shortly."};
  } catch (const db::QueryCanceled&) {
    failure = database_timeout();  // database.statement_timeout_ms, or a cancel by an operator
  } catch (const db::LockNotAvailable&) {
    failure = database_timeout();  // database.lock_timeout_ms: e.g. a migration holds the table
  } catch (const db::Error& e) {
    // Down, restarting, out of connections: the request may succeed in a moment. The outage is logged once
    // (by the monitor), not as one error line per request.
    if (!db::is_database_unavailable(e)) throw;
    outage.failed(e.what());
    failure = database_unavailable();
  }
  if (missing_relation) co_return co_await vanished_schema(tenant, pool, missing_relation);
  co_return http::to_response(*failure);
}

// A tenant dropped (or renamed) by another process is still in this process's catalog until its NOTIFY
// arrives: its requests then fail on missing tables. That is the tenant being unavailable, not a bug, unless
// the schema is there (then the error is the handler's and stays a 500).
Task<http::Response> Application::Impl::vanished_schema(const tenancy::Tenant* tenant, db::Pool& pool,
                                                        std::exception_ptr error) {
  bool schema_exists = true;
  if (tenant != nullptr) {
    const db::Session public_db(pool);
    schema_exists =
        !(co_await public_db.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", tenant->schema)).empty();
  }
  if (schema_exists) std::rethrow_exception(error);
  co_return http::to_response(http::Problem{
      .type = "tenant-unavailable",
      .title = "Tenant unavailable",
      .status = 503,
      .detail = "This store is being changed or removed; retry shortly.",  // no schema: see tenant-suspended
      .retry_after = 2});
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

std::string Application::Impl::render_metrics() const {
  const auto snapshot = directory.snapshot();
  const auto& provisioning = tenancy::provisioning_stats();
  const auto& migrating = migrations::migration_stats();
  std::string extra;
  auto line = [&](const char* name, const char* type, const char* help, const std::string& labels,
                  double value) {
    extra +=
        fmt::format("# HELP {} {}\n# TYPE {} {}\n{}{} {}\n", name, help, name, type, name, labels, value);
  };
  line("tenantry_catalog_tenants", "gauge", "Tenants in this process's catalog.", "",
       static_cast<double>(snapshot->by_schema.size()));
  line("tenantry_catalog_reloads_total", "counter", "Catalog reloads (on NOTIFY from any process).", "",
       static_cast<double>(directory.reloads()));
  line("tenantry_provisioning_total", "counter", "Tenants this process created.", "{outcome=\"ok\"}",
       static_cast<double>(provisioning.created));
  line("tenantry_provisioning_failures_total", "counter", "Tenant creations that failed.", "",
       static_cast<double>(provisioning.failed));
  line("tenantry_provisioning_from_spare_total", "counter", "Tenants created from a ready-made spare schema.",
       "", static_cast<double>(provisioning.from_spare));
  line("tenantry_provisioning_seconds_total", "counter", "Time spent creating tenants.", "",
       provisioning.microseconds / 1e6);
  line("tenantry_migrations_applied_total", "counter", "Migrations applied by this process.", "",
       static_cast<double>(migrating.applied));
  line("tenantry_migration_schema_runs_total", "counter", "Schemas this process migrated.",
       "{outcome=\"migrated\"}", static_cast<double>(migrating.schemas_migrated));
  line("tenantry_migration_schema_failures_total", "counter", "Schemas whose migration failed.", "",
       static_cast<double>(migrating.schemas_failed));
  line("tenantry_migration_seconds_total", "counter", "Time spent migrating schemas.", "",
       migrating.microseconds / 1e6);
  if (server) {
    line("tenantry_http_connections_active", "gauge", "Open client connections.", "",
         static_cast<double>(server->stats().active_connections));
    line("tenantry_http_connections_rejected_total", "counter",
         "Connections refused because server.max_connections was reached.", "",
         static_cast<double>(server->stats().rejected_connections));
  }
  return metrics->render(extra);
}

http::Response Application::Impl::guarded_metrics(const http::Request& request) const {
  // Without a token the main listener does not serve them (server.metrics_listen may): as if no route.
  if (!metrics_token) return http::to_response(http::Problem::not_found("No route for /metrics."));
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view credentials = request.header("Authorization").value_or("");
  if (!credentials.starts_with(kBearer)) return metrics_unauthorized();
  const TokenDigest given = digest(credentials.substr(kBearer.size()));
  if (sodium_memcmp(given.data(), metrics_token->data(), given.size()) != 0) return metrics_unauthorized();
  return metrics_response();
}

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
  set_listen(options, config.server.metrics_listen);
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
  auto on_control_thread =
      boost::asio::co_spawn(pools[0].second->io(), std::move(task), boost::asio::use_awaitable);
  co_return co_await std::move(on_control_thread);
}

namespace {
/// Settings of the sections a reload applies that are nevertheless read once at start-up.
constexpr std::array<std::string_view, 6> kStartupOnly{
    "tenancy.spare_schemas",  // the refill loop's
    "auth.secret",
    "auth.hash_threads",
    "auth.token_ttl_minutes",
    "auth.admin_token_ttl_minutes",
    "auth.unverified_account_hours",  // the housekeeping loop's
};

/// Whether a reload applies `key` to the running server: what requests read from their configuration as
/// they start (plans, throttles, tenant resolution, fleet-migration jobs), and the log level.
bool applies_live(std::string_view key) {
  const bool live_section = key == "plans" || key == "log.level" || key.starts_with("tenancy.") ||
                            key.starts_with("auth.") || key.starts_with("migrations.");
  return live_section && std::find(kStartupOnly.begin(), kStartupOnly.end(), key) == kStartupOnly.end();
}

/// `running` with the settings of `next` that apply live.
std::unique_ptr<const Config> live_part(const Config& running, const Config& next) {
  auto out = std::make_unique<Config>(running);
  out->plans = next.plans;
  out->log.level = next.log.level;
  out->tenancy = next.tenancy;
  out->auth = next.auth;
  out->migrations = next.migrations;
  out->tenancy.spare_schemas = running.tenancy.spare_schemas;
  out->auth.secret = running.auth.secret;
  out->auth.hash_threads = running.auth.hash_threads;
  out->auth.token_ttl_minutes = running.auth.token_ttl_minutes;
  out->auth.admin_token_ttl_minutes = running.auth.admin_token_ttl_minutes;
  out->auth.unverified_account_hours = running.auth.unverified_account_hours;
  return out;
}
}  // namespace

ReloadOutcome Application::reload(const Config& next) {
  validate(next);
  Impl& app = *impl_;
  std::lock_guard lock(app.reload_mutex);
  const Config& running = *app.live_config.load(std::memory_order_acquire);
  ReloadOutcome outcome;
  // Against the start-up configuration: a setting changed back by a later reload is no longer pending.
  for (auto& key : changed_settings(app.config, next))
    if (!applies_live(key)) outcome.needs_restart.push_back(std::move(key));
  for (auto& key : changed_settings(running, next))
    if (applies_live(key)) outcome.applied.push_back(std::move(key));
  if (outcome.applied.empty()) return outcome;
  app.publish_live(live_part(running, next));
  return outcome;
}

Application::Application(Config config, std::string conninfo, Routes routes,
                         const migrations::MigrationPlan& shared_plan,
                         const migrations::MigrationPlan& tenant_plan)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(conninfo), std::move(routes), shared_plan,
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
  app.metrics =
      std::make_unique<Metrics>(threads, static_cast<std::size_t>(app.config.server.metrics_tenant_labels));
  app.server = std::make_unique<http::Server>(
      options, [&app](http::Request& request) { return app.handle(request); },
      [&app](boost::asio::io_context& io, std::size_t index) {
        app.pools[index] = {&io, std::make_unique<db::Pool>(io, app.pool_config())};
        if (index == 0) {
          app.control_pool = std::make_unique<db::Pool>(io, app.control_pool_config());
          // The catalog listener reloads on a connection of its own (see TenantDirectory::watch).
          boost::asio::co_spawn(io, app.directory.watch(io), boost::asio::detached);
          if (app.config.tenancy.spare_schemas > 0)
            boost::asio::co_spawn(io, app.keep_spares(io, *app.pools[0].second), boost::asio::detached);
          boost::asio::co_spawn(io, app.recover_provisioning(io, *app.pools[0].second),
                                boost::asio::detached);
          for (const auto& watcher : app.routes.watchers)
            boost::asio::co_spawn(io, watcher(io, *app.pools[0].second), boost::asio::detached);
        }
      },
      [&app](boost::asio::io_context&, std::size_t index) {
        if (index == 0) {
          app.directory.stop();
          app.control_pool->close();
        }
        app.pools[index].second->close();
      });
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

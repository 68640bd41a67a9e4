#pragma once

// Internals of web::Application, shared by its source files, one per job: application.cpp (construction,
// start and stop), reload.cpp (SIGHUP), dispatch.cpp (a request to its tenant, route and handler),
// thread_affinity.cpp (the I/O thread and pool that serve a tenant), application_metrics.cpp (/metrics and
// the request counters), health.cpp (/healthz, /readyz and the server.metrics_listen listener) and
// background_tasks.cpp (the loops thread 0 runs besides requests).
#include <sodium.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tenantry/db/outage_monitor.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/http/server.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_resolver.hpp"
#include "tenantry/web/application.hpp"
#include "tenantry/web/metrics.hpp"
#include "web/detail/cors_policy.hpp"
#include "web/detail/forwarded_origin.hpp"

namespace boost::asio {
class execution_context;
class io_context;
}  // namespace boost::asio

namespace tenantry::web {

namespace detail {

// Tokens are compared as BLAKE2b digests with sodium_memcmp: how long a comparison takes says nothing about
// the token, not even its length.
using TokenDigest = std::array<unsigned char, crypto_generichash_BYTES>;
TokenDigest digest(std::string_view token);

/// A problem+json response.
http::Response problem(int status, std::string type, std::string title, std::string detail);

/// HOST:PORT (validated by the configuration) into the options.
void set_listen(http::ServerOptions& o, const std::string& listen);

/// Where dispatch sent a request, and the answer. Application::Impl::handle() hands the route and tenant to
/// the request's annotations, which the access log, the error lines and the request metrics read once the
/// response is ready, whatever produced it.
struct Dispatched {
  http::Response response;
  /// The route template that matched (e.g. "/api/products/{id}"), or the fixed path answered ("/healthz",
  /// "/readyz", "/metrics"); empty when none matched. Points into the route tables.
  std::string_view route;
  /// The resolved tenant, null when none; `catalog` keeps it alive.
  const tenancy::Tenant* tenant = nullptr;
  std::shared_ptr<const tenancy::CatalogSnapshot> catalog;
  /// What the handler threw instead of answering: rethrown by handle() once the request is annotated, for
  /// the server to answer and log it.
  std::exception_ptr failure;
};

}  // namespace detail

struct Application::Impl {
  Impl(Config c, DatabaseUrls urls, Routes r, const migrations::MigrationPlan& shared,
       const migrations::MigrationPlan& tenant);

  std::string public_openapi, tenant_openapi;  // the documents, built by the constructor

  Config config;
  db::ConnectOptions connect;        // the request pools' role, switching to tenant roles
  db::ConnectOptions owner_connect;  // the owner's
  Routes routes;
  const migrations::MigrationPlan& shared_plan;
  const migrations::MigrationPlan& tenant_plan;
  tenancy::TenantDirectory directory;
  /// server.trusted_proxies (a restart changes it): where absolute links point behind a reverse proxy.
  detail::ForwardedOrigin forwarded_origin;
  /// server.cors_origins and server.cors_allow_credentials (a restart changes them).
  detail::CorsPolicy cors;
  /// What a reload (SIGHUP) changes: the configuration requests see and the resolver built from it. A
  /// request reads the current versions with one atomic load each, no lock; versions replaced stay alive
  /// until the application ends, since requests in flight may still use them (a reload is rare, a version a
  /// few kilobytes). `config` above stays the start-up configuration, for what only a restart changes.
  std::atomic<const Config*> live_config{nullptr};
  std::atomic<const tenancy::TenantResolver*> live_resolver{nullptr};
  std::mutex reload_mutex;
  std::vector<std::unique_ptr<const Config>> config_versions;
  std::vector<std::unique_ptr<const tenancy::TenantResolver>> resolver_versions;
  /// Logs an outage of the database once, and its end; the pools and the request error mapping report to
  /// it. Declared before the pools, which hold a pointer to it; mutable: reporting is not a change of the
  /// application.
  mutable db::OutageMonitor outage;
  // One pool per I/O thread, found through the io_context a request's coroutine runs on: a connection lives
  // on one thread, so its requests always use that thread's pool, without locks.
  std::vector<std::pair<boost::asio::execution_context*, std::unique_ptr<db::Pool>>> pools;
  /// Beside each, a small pool as the owner, for the work that changes schemas; connections open on demand.
  std::vector<std::unique_ptr<db::Pool>> owner_pools;
  std::unique_ptr<Metrics> metrics;
  /// The control plane's pool on I/O thread 0 (/readyz): its own connection, so that readiness says whether
  /// the database answers even while request pools are saturated (e.g. a lock storm on one tenant).
  std::unique_ptr<db::Pool> control_pool;
  std::unique_ptr<http::Server> server;
  /// The digest of server.metrics_token, when set.
  std::optional<detail::TokenDigest> metrics_token;
  /// The listener of server.metrics_listen, and the pool of its one thread (for /readyz). The pool is
  /// declared first so that it outlives the thread.
  std::unique_ptr<db::Pool> ops_pool;
  std::unique_ptr<http::Server> ops_server;

  // application.cpp
  /// Makes `next` what requests that start from now on see (the caller holds reload_mutex, or is the
  /// constructor). The resolver is built first: it throws ConfigError for unusable trusted networks.
  void publish_live(std::unique_ptr<const Config> next);
  db::PoolConfig pool_config() const;
  db::PoolConfig owner_pool_config() const;
  /// A small pool for the control plane: public statements only, apart from the requests' pools.
  db::PoolConfig control_pool_config() const;

  // dispatch.cpp
  /// The server's handler: dispatch(), then the request's annotations from what it found.
  Task<http::Response> handle(http::Request& request);
  Task<detail::Dispatched> dispatch(http::Request& request);
  /// The route of `table` that `request` matches, run on the I/O thread that serves `tenant`.
  Task<detail::Dispatched> route(const RouteTable& table, http::Request& request,
                                 const tenancy::Tenant* tenant);
  /// A change (PUT, PATCH, DELETE) with If-Match: the 412 answer when the resource's current ETag (its GET
  /// route's answer) is not listed, else nothing and the change runs. Between the check and the change
  /// another client may still write: If-Match catches the stale client, not a race of milliseconds.
  Task<std::optional<http::Response>> precondition_failure(const RouteTable& table,
                                                           const http::Request& request,
                                                           const tenancy::Tenant* tenant);
  /// Runs the handler on I/O thread `thread` (the caller's job to be there), with that thread's pool.
  Task<http::Response> run_handler(const RouteTable::Found& found, http::Request& request,
                                   const tenancy::Tenant* tenant, std::size_t thread);
  Task<http::Response> vanished_schema(const tenancy::Tenant* tenant, db::Pool& pool,
                                       std::exception_ptr error);

  // thread_affinity.cpp
  /// The index of the I/O thread running the calling coroutine (its pool and metrics shard).
  Task<std::size_t> current_thread() const;
  /// The I/O thread whose pool serves `tenant`.
  std::size_t tenant_thread(const tenancy::Tenant& tenant) const;
  /// The I/O thread a request for `tenant` (null: public) runs its handler on, called on thread `here`.
  std::size_t owner_thread(const tenancy::Tenant* tenant, std::size_t here) const;
  /// Runs `task` on I/O thread `thread` and resumes the caller on its own.
  Task<http::Response> on_thread(std::size_t thread, Task<http::Response> task) const;
  /// The server's thread hooks: each I/O thread's pool (and thread 0's control pool and background tasks).
  void open_thread(boost::asio::io_context& io, std::size_t index);
  void close_thread(std::size_t index);

  // application_metrics.cpp
  void count_response(std::size_t thread, const http::Request& request, const http::Response& response,
                      std::chrono::steady_clock::duration elapsed) const;
  std::string render_metrics() const;
  http::Response metrics_response() const;
  /// /metrics on the main listener: only with server.metrics_token, and only for its bearer.
  http::Response guarded_metrics(const http::Request& request) const;

  // health.cpp
  /// `list_tenants`: name the tenants that are behind (not on a tenant's host: it must not learn the others).
  Task<http::Response> readiness(db::Pool& pool, bool list_tenants);
  /// /readyz on the main listener: readiness() on the control pool, from whichever thread asks.
  Task<http::Response> control_plane_readiness(bool list_tenants);
  Task<http::Response> handle_ops(http::Request& request);
  void start_ops_server();

  // background_tasks.cpp
  /// Starts the loops of I/O thread 0: the catalog listener, spare schemas, abandoned provisioning, and the
  /// apps' watchers.
  void start_background(boost::asio::io_context& io);
  Task<void> keep_spares(boost::asio::io_context& io, db::Pool& pool);
  Task<void> recover_provisioning(boost::asio::io_context& io, db::Pool& pool);
};

}  // namespace tenantry::web

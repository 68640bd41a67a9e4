#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tenantry/core/config.hpp"
#include "tenantry/http/server.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::web {

/// What a configuration reload did: the keys it applied, and those that changed but need a restart.
struct ReloadOutcome {
  std::vector<std::string> applied, needs_restart;
};

/// How the server reaches the database, as two roles on connections of their own: the request pools' role
/// (runtime: tenant requests take their tenant's role, see db::ConnectOptions::tenant_roles), and the owner
/// (provisioning, lifecycle and migrations started from the API, spare schemas).
struct DatabaseUrls {
  std::string runtime, owner;
  DatabaseUrls(std::string runtime_url, std::string owner_url)
      : runtime(std::move(runtime_url)), owner(std::move(owner_url)) {}
  /// One role for both: a database set up before roles were split, or tests that need no split.
  DatabaseUrls(std::string both)  // NOLINT(google-explicit-constructor): a URL is the common case
      : runtime(both), owner(std::move(both)) {}
};

/// A running Tenantry server: the HTTP server, one connection pool per I/O thread, the in-memory tenant
/// directory kept current by LISTEN/NOTIFY, and the resolver that sends each request to its tenant's routes.
class Application {
 public:
  /// `urls` reach the database; `shared_plan`/`tenant_plan` are what /readyz checks against.
  Application(Config config, DatabaseUrls urls, Routes routes, const migrations::MigrationPlan& shared_plan,
              const migrations::MigrationPlan& tenant_plan);
  ~Application();

  /// Loads the tenant catalog, then listens (also on server.metrics_listen when set). Throws if the database
  /// is unreachable or a port is taken.
  void start();
  void stop(bool graceful = true);
  void wait();
  std::uint16_t port() const;
  /// The port of the server.metrics_listen listener; 0 when there is none.
  std::uint16_t metrics_port() const;
  const http::ServerStats& stats() const;
  /// Applies a new configuration while serving (SIGHUP): what requests read as they start (plans,
  /// throttles and link lifetimes under auth.*, tenant resolution under tenancy.* with its trusted
  /// networks, migrations.jobs); requests already running keep the configuration they started with.
  /// log.level is reported as applied: the process-wide logger is the caller's to set. Settings read once
  /// at start-up (server.*, database.*, mail.*, ...) are reported, not applied.
  /// Throws ConfigError for an invalid configuration, and then changes nothing. Safe from any thread.
  ReloadOutcome reload(const Config& next);
  /// The Prometheus text of GET /metrics.
  std::string metrics_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Maps the configuration's server section onto the HTTP server's options; throws ConfigError.
http::ServerOptions server_options(const Config& config);

}  // namespace tenantry::web

#include <fmt/format.h>
#include <sodium.h>

#include "tenantry/http/problem.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "web/detail/application_impl.hpp"

namespace tenantry::web {

using detail::TokenDigest;

namespace {

http::Response metrics_unauthorized() {
  auto response = detail::problem(401, "not-authenticated", "Not authenticated",
                                  "Send 'Authorization: Bearer <server.metrics_token>'.");
  response.add_header("WWW-Authenticate", "Bearer realm=\"metrics\"");
  return response;
}

}  // namespace

TokenDigest detail::digest(std::string_view token) {
  TokenDigest d;
  crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return d;
}

void Application::Impl::count_response(std::size_t thread, const http::Request& request,
                                       const http::Response& response,
                                       std::chrono::steady_clock::duration elapsed) const {
  const auto& a = request.annotations;
  metrics->record(thread,
                  {.route = a.route.empty() ? std::string_view("unmatched") : std::string_view(a.route),
                   .method = request.method,
                   .status = response.status,
                   .tenant = a.tenant,
                   .duration = elapsed,
                   .db_time = a.db_time,
                   .db_rows = a.db_rows,
                   .db_statements = a.db_statements});
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
  const TokenDigest given = detail::digest(credentials.substr(kBearer.size()));
  if (sodium_memcmp(given.data(), metrics_token->data(), given.size()) != 0) return metrics_unauthorized();
  return metrics_response();
}

http::Response Application::Impl::metrics_response() const {
  return http::Response::text(200, render_metrics(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace tenantry::web

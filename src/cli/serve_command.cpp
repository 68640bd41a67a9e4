// `tenantry serve`: the HTTP server.
#include <signal.h>

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "apps/demo/demo_data.hpp"
#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "cli/cli_context.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/web/application.hpp"

namespace tenantry::cli {

namespace {

std::string api_base(const Config& config, const tenancy::Tenant& t, std::uint16_t port) {
  return "http://" + t.primary_domain().value_or(t.schema.str() + "." + config.tenancy.base_domain) + ":" +
         std::to_string(port);
}

void print_welcome(const Config& config, const std::vector<tenancy::Tenant>& tenants, std::uint16_t port,
                   std::uint16_t metrics_port) {
  const std::string listen = config.server.listen.substr(0, config.server.listen.rfind(':'));
  const std::string host = listen == "0.0.0.0" || listen == "127.0.0.1" ? "localhost" : listen;
  std::cout << "\nTenantry is serving " << tenants.size() << " tenant(s) on http://" << host << ":" << port
            << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tenants)
    rows.push_back(
        {t.schema.str(), t.name, std::string(to_string(t.state)), api_base(config, t, port) + "/api/"});
  if (!rows.empty()) print_table({"SLUG", "NAME", "STATE", "API"}, rows);
  std::cout << "\nTry:\n  curl http://" << host << ":" << port << "/api/\n";
  int shown = 0;
  for (const auto& t : tenants) {
    if (shown == 2) break;
    const std::string base = api_base(config, t, port);
    if (t.schema.str() != "northwind" && t.schema.str() != "acme" && t.schema.str() != "globex") {
      std::cout << "  curl " << base << "/api/\n";
      ++shown;
      continue;
    }
    // The demo stores: log in as their owner, then list products with the token.
    std::cout << "\n  # " << t.name << " (demo owner owner@" << t.schema.str() << ".demo, password "
              << apps::demo::kDemoPassword << ")\n"
              << "  TOKEN=$(curl -s " << base << "/api/auth/login -H 'Content-Type: application/json' \\\n"
              << "    -d '{\"email\": \"owner@" << t.schema.str() << ".demo\", \"password\": \""
              << apps::demo::kDemoPassword << "\"}' | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')\n"
              << "  curl " << base << "/api/products -H \"Authorization: Bearer $TOKEN\"\n";
    ++shown;
  }
  std::cout << "\nAPI description: http://" << host << ":" << port
            << "/api/openapi.json (and on every store host)\n";
  if (metrics_port != 0) {
    const std::string& m = config.server.metrics_listen;
    std::cout << "Metrics: http://" << m.substr(0, m.rfind(':')) << ":" << metrics_port << "/metrics\n";
  }
  std::cout << "Stop with Ctrl-C.\n" << std::endl;
}

/// SIGHUP: reads the configuration file (and the environment) again and applies what can change while
/// serving; an invalid file is reported and the running configuration kept.
void reload_configuration(CliContext& ctx, web::Application& application) {
  Config next;
  try {
    next = load_config(ctx.config_file);
  } catch (const std::exception& e) {  // ConfigError, or the file could not be read
    spdlog::error("SIGHUP: configuration not reloaded, keeping the running one: {}", e.what());
    return;
  }
  web::ReloadOutcome outcome;
  try {
    outcome = application.reload(next);
  } catch (const ConfigError& e) {
    spdlog::error("SIGHUP: configuration not reloaded, keeping the running one: {}", e.what());
    return;
  }
  for (const auto& key : outcome.needs_restart) spdlog::warn("{} changed; restart to apply", key);
  std::string applied;
  for (const auto& key : outcome.applied) applied += (applied.empty() ? "" : ", ") + key;
  spdlog::info("SIGHUP: configuration reloaded{}", applied.empty() ? "; nothing to apply" : ": " + applied);
  // Last, so that a quieter level does not hide the lines above.
  spdlog::set_level(spdlog::level::from_str(next.log.level));
}

}  // namespace

void add_serve_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("serve", "Run the HTTP server");
  struct Options {
    bool migrate = false, demo = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_flag("--migrate", o->migrate, "Apply pending migrations first");
  cmd->add_flag("--demo", o->demo, "Create the demo stores first when there are no tenants");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> int {
      // Signals are taken synchronously by this thread; the I/O threads inherit the blocked mask.
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGINT);
      sigaddset(&signals, SIGTERM);
      sigaddset(&signals, SIGHUP);
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);

      Config& config = ctx.config();
      if (o->migrate) {
        auto shared = ctx.run(ctx.migrations().migrate_shared());
        if (shared.kind == migrations::SchemaOutcome::Kind::kFailed) throw CommandError(shared.error);
        for (const auto& change : ctx.apply_grants()) spdlog::info("database grants: {}", change);
        auto fleet = ctx.run(
            ctx.migrations().migrate_tenants({.jobs = static_cast<std::size_t>(config.migrations.jobs)}));
        if (!fleet.ok())
          throw CommandError("some tenants failed to migrate: run `tenantry migrate` for details");
      }
      auto tenants = ctx.run(tenancy::TenantCatalog(ctx.pool()).list());
      if (o->demo && tenants.empty()) {
        ctx.run(apps::demo::seed(ctx.pool(), ctx.migrations().tenant_plan(), config));
        tenants = ctx.run(tenancy::TenantCatalog(ctx.pool()).list());
      }
      ctx.check_grants_before_serving();
      web::Application application(config, web::DatabaseUrls(ctx.runtime_conninfo(), ctx.owner_conninfo()),
                                   apps::all_routes(config, ctx.migrations().tenant_plan()),
                                   ctx.migrations().shared_plan(), ctx.migrations().tenant_plan());
      application.start();
      print_welcome(config, tenants, application.port(), application.metrics_port());
      int signal = 0;
      while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) reload_configuration(ctx, application);
      spdlog::info("{}: finishing in-flight requests", signal == SIGINT ? "SIGINT" : "SIGTERM");
      application.stop(true);
      application.wait();
      return 0;
    };
  });
}

}  // namespace tenantry::cli

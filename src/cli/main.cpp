// `tenantry`: the server and the management commands, like Django's manage.py.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.hpp"
#include "cli/suggest.hpp"
#include "cli/version.hpp"
#include "tenantry/core/logging.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/schema_name.hpp"
#include "tenantry/tenancy/errors.hpp"

int main(int argc, char** argv) {
  using namespace tenantry;
  spdlog::set_default_logger(spdlog::stderr_color_mt("tenantry"));
  set_log_format("text");  // until the configuration says otherwise (CliContext::config)

  cli::CliContext ctx;
  CLI::App app{"Tenantry: a multi-tenant SaaS backend on PostgreSQL, one schema per tenant.", "tenantry"};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  app.set_version_flag("--version", cli::version_text(), "Print the version, git revision and compiler");
  app.add_option("--config", ctx.config_file,
                 "TOML configuration file (default: ./tenantry.toml when present)");
  cli::add_db_commands(app, ctx);
  cli::add_migrate_command(app, ctx);
  cli::add_tenant_commands(app, ctx);
  cli::add_domain_commands(app, ctx);
  cli::add_exec_command(app, ctx);
  cli::add_config_command(app, ctx);
  cli::add_demo_command(app, ctx);
  cli::add_serve_command(app, ctx);
  cli::add_admin_command(app, ctx);
  cli::add_plans_command(app, ctx);
  cli::add_doctor_command(app, ctx);
  cli::add_completion_command(app, ctx);
  cli::add_top_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A mistyped command or option says what was meant, rather than CLI11's "not expected" list.
    if (auto explained = cli::explain_unknown(app, argc, argv)) {
      std::cerr << "error: " << *explained << "\n";
      return 2;
    }
    app.exit(e);
    return 2;
  }
  // With log.format = "json" the error is a log line like the others, so that every line parses as JSON.
  auto fail = [](int code, const std::string& message) {
    if (log_format() == "json") {
      spdlog::error("{}", message);
    } else {
      std::cerr << "error: " << message << "\n";
    }
    return code;
  };
  try {
    return ctx.action ? ctx.action() : 2;
  } catch (const ValidationError& e) {
    return fail(2, e.what());
  } catch (const ConfigError& e) {
    return fail(2, e.what());
  } catch (const db::UndefinedTable& e) {
    return fail(1, std::string(e.what()) + " (has `tenantry migrate` been run?)");
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
}

// `tenantry config show`: the effective configuration, secrets masked.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.hpp"

namespace tenantry::cli {

void add_config_command(CLI::App& app, CliContext& ctx) {
  auto* config = app.add_subcommand("config", "Inspect the configuration");
  config->require_subcommand(1);
  config->add_subcommand("show", "Print the effective configuration (file + TENANTRY_* variables)")
      ->callback([&ctx] {
        ctx.action = [&ctx] {
          std::cout << render_config(ctx.config());
          return 0;
        };
      });
}

}  // namespace tenantry::cli

// `tenantry demo seed`: demo stores for a first run.
#include <CLI/CLI.hpp>
#include <iostream>

#include "apps/demo/demo_data.hpp"
#include "cli/cli_context.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::cli {

void add_demo_command(CLI::App& app, CliContext& ctx) {
  auto* demo = app.add_subcommand("demo", "Demo data");
  demo->require_subcommand(1);
  auto* seed =
      demo->add_subcommand("seed", "Create the demo stores (northwind, acme, globex) unless they exist");
  auto if_empty = std::make_shared<bool>(false);
  seed->add_flag("--if-empty", *if_empty, "Only when there are no tenants at all (first run)");
  seed->callback([&ctx, if_empty] {
    ctx.action = [&ctx, if_empty] {
      if (*if_empty && !ctx.run(tenancy::TenantCatalog(ctx.pool()).list()).empty()) return 0;
      auto created = ctx.run(apps::demo::seed(ctx.pool(), ctx.migrations().tenant_plan(), ctx.config()));
      if (created.empty()) std::cout << "the demo stores already exist\n";
      for (const auto& slug : created) std::cout << "created demo store " << slug << "\n";
      return 0;
    };
  });
}

}  // namespace tenantry::cli

// `tenantry config show`: the effective configuration, secrets masked; `tenantry plans`: the plans.
#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <sstream>

#include "cli/cli_context.hpp"

namespace tenantry::cli {

namespace {

/// The masked rendering, as JSON: parsed back from the TOML text, so that what `--json` shows is exactly
/// what the text shows (the same masking, no second list of settings to keep in step).
void print_config_json(const Config& config) {
  const toml::table table = toml::parse(render_config(config));
  std::ostringstream text;
  text << toml::json_formatter{table};
  print_json(boost::json::parse(text.str()));
}

boost::json::value limit(const std::optional<std::int64_t>& max) {
  return max ? boost::json::value(*max) : boost::json::value(nullptr);
}

}  // namespace

void add_config_command(CLI::App& app, CliContext& ctx) {
  auto* config = app.add_subcommand("config", "Inspect the configuration");
  config->require_subcommand(1);
  auto* show =
      config->add_subcommand("show", "Print the effective configuration (file + TENANTRY_* variables)");
  add_json_flag(show, ctx);
  show->callback([&ctx] {
    ctx.action = [&ctx] {
      if (ctx.json)
        print_config_json(ctx.config());
      else
        std::cout << render_config(ctx.config());
      return 0;
    };
  });
}

void add_plans_command(CLI::App& app, CliContext& ctx) {
  auto* plans = app.add_subcommand("plans", "List the configured plans and their limits");
  add_json_flag(plans, ctx);
  plans->callback([&ctx] {
    ctx.action = [&ctx] {
      const auto& all = ctx.config().plans;
      if (ctx.json) {
        boost::json::array out;
        for (const auto& [name, plan] : all)
          out.push_back({{"name", name},
                         {"max_products", limit(plan.max_products)},
                         {"max_members", limit(plan.max_members)}});
        print_json(out);
        return 0;
      }
      auto text = [](const std::optional<std::int64_t>& max) {
        return max ? std::to_string(*max) : "unlimited";
      };
      std::vector<std::vector<std::string>> rows;
      for (const auto& [name, plan] : all)
        rows.push_back({name, text(plan.max_products), text(plan.max_members)});
      print_table({"PLAN", "MAX PRODUCTS", "MAX MEMBERS"}, rows);
      return 0;
    };
  });
}

}  // namespace tenantry::cli

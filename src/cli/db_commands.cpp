// `tenantry db start|stop|status|url`: the embedded PostgreSQL cluster.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_context.hpp"

namespace tenantry::cli {

void add_db_commands(CLI::App& app, CliContext& ctx) {
  auto* db = app.add_subcommand("db", "Manage the embedded PostgreSQL cluster (when no database URL is set)");
  db->require_subcommand(1);
  auto embedded_only = [&ctx] {
    if (!ctx.config().database.url.empty())
      throw CommandError("a database URL is configured; there is no embedded cluster to manage");
  };
  db->add_subcommand("start", "Start the cluster and leave it running")->callback([&ctx, embedded_only] {
    ctx.action = [&ctx, embedded_only] {
      embedded_only();
      ctx.cluster().start();
      ctx.keep_cluster_running();
      std::cout << "PostgreSQL running: " << ctx.cluster().conninfo() << "\n";
      return 0;
    };
  });
  db->add_subcommand("stop", "Stop the cluster")->callback([&ctx, embedded_only] {
    ctx.action = [&ctx, embedded_only] {
      embedded_only();
      ctx.cluster().stop_unconditionally();
      std::cout << "PostgreSQL stopped\n";
      return 0;
    };
  });
  auto* status = db->add_subcommand("status", "Say whether the cluster runs (exit 0) or not (exit 1)");
  add_json_flag(status, ctx);
  status->callback([&ctx, embedded_only] {
    ctx.action = [&ctx, embedded_only] {
      embedded_only();
      const bool up = ctx.cluster().running();
      if (ctx.json)
        print_json(boost::json::object{{"running", up}, {"conninfo", up ? ctx.cluster().conninfo() : ""}});
      else
        std::cout << (up ? "running: " + ctx.cluster().conninfo() : "not running") << "\n";
      return up ? 0 : 1;
    };
  });
  db->add_subcommand("url", "Print the connection string (starting the cluster if needed)")->callback([&ctx] {
    ctx.action = [&ctx] {
      std::cout << ctx.conninfo() << "\n";
      ctx.keep_cluster_running();
      return 0;
    };
  });
}

}  // namespace tenantry::cli

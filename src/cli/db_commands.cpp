// `tenantry db start|stop|status|url`: the embedded PostgreSQL cluster.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <iostream>
#include <memory>

#include "cli/cli_context.hpp"
#include "tenantry/tenancy/database_grants.hpp"

namespace tenantry::cli {

namespace {

/// `db url [--owner | --runtime] [--json]`: the owner's and the request pools' connection strings. The
/// embedded cluster's name its password file, not the passwords.
void add_url_command(CLI::App* db, CliContext& ctx) {
  auto* url = db->add_subcommand("url",
                                 "Print the owner's and the runtime role's connection strings (starting "
                                 "the cluster if needed)");
  auto only = std::make_shared<std::string>();
  auto* owner = url->add_flag_callback(
      "--owner", [only] { *only = "owner"; }, "Print only the owner's");
  url->add_flag_callback(
         "--runtime", [only] { *only = "runtime"; }, "Print only the runtime role's")
      ->excludes(owner);
  add_json_flag(url, ctx);
  url->callback([&ctx, only] {
    ctx.action = [&ctx, only] {
      const std::string owner_url = ctx.owner_conninfo(), runtime_url = ctx.runtime_conninfo();
      ctx.keep_cluster_running();
      if (ctx.json)
        print_json(boost::json::object{{"owner", owner_url}, {"runtime", runtime_url}});
      else if (!only->empty())
        std::cout << (*only == "owner" ? owner_url : runtime_url) << "\n";
      else
        std::cout << "owner:   " << owner_url << "\nruntime: " << runtime_url << "\n";
      return 0;
    };
  });
}

/// `db grants --check | --apply [--json]`: the least-privilege set-up of the database (tenant roles, the
/// runtime role, shared tables), reported or repaired as the owner.
void add_grants_command(CLI::App* db, CliContext& ctx) {
  auto* grants = db->add_subcommand(
      "grants",
      "Check (--check, exit 1 when something is wrong) or set up (--apply) the database roles and "
      "grants that keep tenants apart");
  auto apply = std::make_shared<bool>(false), check = std::make_shared<bool>(false);
  auto* check_flag = grants->add_flag("--check", *check, "Report what is missing or too wide (the default)");
  grants->add_flag("--apply", *apply, "Set up what is missing, as the owner (idempotent)")
      ->excludes(check_flag);
  add_json_flag(grants, ctx);
  grants->callback([&ctx, apply, check] {  // check: its flag writes it
    ctx.action = [&ctx, apply] {
      tenancy::DatabaseGrants database(ctx.pool(), ctx.runtime_role());
      std::vector<std::string> done;
      if (*apply) done = ctx.run(database.apply());
      const std::vector<tenancy::GrantFinding> findings = ctx.run(database.check());
      if (ctx.json) {
        boost::json::array found, changes(done.begin(), done.end());
        for (const auto& f : findings)
          found.push_back({{"severity", to_string(f.severity)},
                           {"subject", f.subject},
                           {"problem", f.problem},
                           {"fixable", f.fixable}});
        boost::json::object out{{"runtime_role", ctx.runtime_role()}, {"findings", found}};
        if (*apply) out["applied"] = changes;
        print_json(out);
      } else {
        for (const auto& line : done) std::cout << "applied: " << line << "\n";
        for (const auto& f : findings)
          std::cout << to_string(f.severity) << ": " << f.subject << " " << f.problem
                    << (f.fixable ? " (tenantry db grants --apply sets it right)" : "") << "\n";
        if (findings.empty())
          std::cout << "grants are right: runtime role " << ctx.runtime_role()
                    << ", every tenant on its own role\n";
      }
      // --check fails on any finding; --apply only when requests would still fail (what is left is for the
      // cluster's administrator, and printed).
      const bool blocking = std::any_of(findings.begin(), findings.end(), [](const auto& f) {
        return f.severity == tenancy::GrantFinding::Severity::kBlocking;
      });
      return (*apply ? blocking : !findings.empty()) ? 1 : 0;
    };
  });
}

}  // namespace

void add_db_commands(CLI::App& app, CliContext& ctx) {
  auto* db = app.add_subcommand(
      "db", "The database: the embedded cluster (start, stop, status), connection strings, grants");
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
      std::cout << "PostgreSQL running: " << ctx.cluster().owner_url() << "\n";
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
        print_json(boost::json::object{{"running", up}, {"conninfo", up ? ctx.cluster().owner_url() : ""}});
      else
        std::cout << (up ? "running: " + ctx.cluster().owner_url() : "not running") << "\n";
      return up ? 0 : 1;
    };
  });
  add_url_command(db, ctx);
  add_grants_command(db, ctx);
}

}  // namespace tenantry::cli

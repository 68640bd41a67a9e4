// `tenantry doctor`: compares every tenant schema with the shape its migrations produce, and reports drift
// (a column dropped by hand, an index or a table added with `tenantry exec`, a changed type or default).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_context.hpp"
#include "cli/progress.hpp"
#include "cli/schema_shape.hpp"
#include "tenantry/core/concurrency.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::cli {

namespace {

/// One tenant's verdict.
struct Checkup {
  std::string schema;
  std::vector<Drift> drift;
  std::string error;  // the schema could not be described (e.g. it vanished)
  bool ok() const { return drift.empty() && error.empty(); }
};

Task<void> examine(db::Pool& pool, const SchemaShape& expected, std::vector<Checkup>& checkups,
                   std::size_t jobs, FleetProgress& progress) {
  std::size_t next = 0, done = 0, drifted = 0;
  std::function<Task<void>(std::size_t)> worker = [&](std::size_t) -> Task<void> {
    while (next < checkups.size()) {
      Checkup& c = checkups[next++];
      const db::Session session(pool, db::SchemaName(c.schema));
      try {
        auto rows = co_await session.query(describe_schema_sql(), c.schema);
        if (rows.empty())
          c.error = "the schema is missing or empty";
        else
          c.drift = diff(expected, shape_of(rows));
      } catch (const std::exception& e) {
        c.error = e.what();
      }
      drifted += c.ok() ? 0 : 1;
      progress.update(++done, checkups.size(), drifted);
    }
  };
  co_await run_concurrently(std::min(jobs, checkups.size()), std::move(worker));
}

std::string describe(const Drift& d) {
  std::string what = std::string(to_string(d.change)) + " " + to_string(d.object.kind) + " " + d.object.name;
  switch (d.change) {
    case Drift::Change::kChanged:
      return what + ": expected " + d.object.definition + ", found " + d.found;
    case Drift::Change::kMissing:
    case Drift::Change::kExtra:
      if (d.object.kind == ObjectKind::kTable)
        return what + " (with " + std::to_string(d.children) + " column(s), index(es) and constraint(s))";
      return what + ": " + d.object.definition;
  }
  return what;
}

boost::json::object drift_json(const Drift& d) {
  boost::json::object out{{"change", to_string(d.change)},
                          {"kind", to_string(d.object.kind)},
                          {"name", d.object.name},
                          {"table", d.object.table}};
  const bool extra = d.change == Drift::Change::kExtra;
  out["expected"] = extra ? boost::json::value(nullptr) : boost::json::value(d.object.definition);
  out["found"] = d.change == Drift::Change::kChanged ? boost::json::value(d.found)
                 : extra                             ? boost::json::value(d.object.definition)
                                                     : boost::json::value(nullptr);
  return out;
}

void print_text(const std::vector<Checkup>& checkups, std::size_t drifted, const FleetProgress& progress) {
  for (const auto& c : checkups) {
    if (c.ok()) {
      std::cout << c.schema << ": OK\n";
      continue;
    }
    if (!c.error.empty()) {
      std::cout << c.schema << ": ERROR: " << c.error << "\n";
      continue;
    }
    std::cout << c.schema << ": " << c.drift.size() << " difference(s)\n";
    for (const auto& d : c.drift) std::cout << "  " << describe(d) << "\n";
  }
  std::cout << drifted << " of " << checkups.size() << " tenant(s) drifted from their migrations (checked in "
            << progress.elapsed() << ")\n";
}

void print_json_report(const std::vector<Checkup>& checkups, std::size_t drifted,
                       const FleetProgress& progress) {
  boost::json::array tenants;
  for (const auto& c : checkups) {
    boost::json::array drift;
    for (const auto& d : c.drift) drift.push_back(drift_json(d));
    boost::json::object t{{"tenant", c.schema}, {"ok", c.ok()}, {"drift", std::move(drift)}};
    if (!c.error.empty()) t["error"] = c.error;
    tenants.push_back(std::move(t));
  }
  print_json(boost::json::object{{"tenants", std::move(tenants)},
                                 {"checked", checkups.size()},
                                 {"drifted", drifted},
                                 {"elapsed_seconds", progress.elapsed_seconds()}});
}

int doctor(CliContext& ctx, std::size_t jobs, const std::vector<std::string>& only) {
  ctx.pool(jobs + 1);
  const tenancy::TenantCatalog catalog(ctx.pool());
  std::vector<Checkup> checkups;
  if (only.empty()) {
    for (const auto& t : ctx.run(catalog.list()))
      if (t.state != tenancy::TenantState::kProvisioning && t.state != tenancy::TenantState::kFailed)
        checkups.push_back({t.schema.str(), {}, {}});
  } else {
    for (const auto& name : only)
      checkups.push_back({ctx.run(catalog.get(db::SchemaName(name))).schema.str(), {}, {}});
  }
  FleetProgress progress("checking");
  const SchemaShape expected = ctx.run(expected_shape(ctx.pool(), ctx.migrations().tenant_plan()));
  ctx.run(examine(ctx.pool(), expected, checkups, jobs, progress));
  progress.finish();
  std::size_t drifted = 0;
  for (const auto& c : checkups) drifted += c.ok() ? 0 : 1;
  if (ctx.json)
    print_json_report(checkups, drifted, progress);
  else
    print_text(checkups, drifted, progress);
  return drifted ? 1 : 0;
}

}  // namespace

void add_doctor_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "doctor", "Compare every tenant schema's tables, columns, indexes and constraints with its migrations");
  struct Options {
    std::size_t jobs = 4;
    std::vector<std::string> tenants;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--tenant", o->tenants, "Only this tenant (repeatable)");
  cmd->add_option("--jobs,-j", o->jobs, "Tenant schemas examined in parallel")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  add_json_flag(cmd, ctx);
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return doctor(ctx, o->jobs, o->tenants); }; });
}

}  // namespace tenantry::cli

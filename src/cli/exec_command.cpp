// `tenantry exec (--tenant NAME | --all) [--jobs N] -- SQL`: run SQL in tenant schemas, reporting per tenant.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_audit.hpp"
#include "cli/cli_context.hpp"
#include "cli/progress.hpp"
#include "tenantry/core/concurrency.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::cli {

namespace {

/// `exec --all`: each tenant's SQL runs in one transaction with its audit entry, so that the log holds
/// exactly the tenants it changed (statements that cannot run in a transaction, such as VACUUM, go with
/// --tenant).
Task<db::Result> exec_audited(db::Pool& pool, const db::SchemaName& schema, const std::string& sql) {
  const db::Session session(pool, schema);
  db::Transaction tx = co_await session.begin();
  db::Result result = co_await tx.execute_script(sql);
  const auto entry = cli_entry("exec", schema.str(), {{"sql", sql.substr(0, 2000)}, {"all", true}});
  co_await apps::admin::record(tx, entry);
  co_await tx.commit();
  co_return result;
}

/// What the SQL gave in one schema: its last result, or the error.
struct ExecResult {
  std::string schema;
  std::optional<db::Result> result;
  std::string error;
};

std::vector<db::SchemaName> target_schemas(CliContext& ctx, bool all, const std::vector<std::string>& names) {
  std::vector<db::SchemaName> schemas;
  const tenancy::TenantCatalog catalog(ctx.pool());
  if (all) {
    for (const auto& t : ctx.run(catalog.list()))
      if (t.state != tenancy::TenantState::kProvisioning && t.state != tenancy::TenantState::kFailed &&
          t.state != tenancy::TenantState::kDropping)
        schemas.push_back(t.schema);
    return schemas;
  }
  for (const auto& name : names) schemas.push_back(ctx.run(catalog.get(db::SchemaName(name))).schema);
  return schemas;
}

/// Runs `sql` in every schema, `jobs` schemas at a time; results in the order of `schemas`.
/// `audited` (exec --all): each schema through exec_audited().
Task<void> run_everywhere(db::Pool& pool, const std::string& sql, std::vector<ExecResult>& results,
                          std::size_t jobs, bool audited, FleetProgress& progress) {
  std::size_t next = 0, done = 0, failed = 0;
  std::function<Task<void>(std::size_t)> worker = [&](std::size_t) -> Task<void> {
    while (next < results.size()) {
      ExecResult& slot = results[next++];
      const db::SchemaName schema(slot.schema);
      try {
        if (audited) {
          slot.result = co_await exec_audited(pool, schema, sql);
        } else {
          const db::Session session(pool, schema);
          slot.result = co_await session.execute_script(sql);
        }
      } catch (const std::exception& e) {
        slot.error = e.what();
      }
      failed += slot.error.empty() ? 0 : 1;
      progress.update(++done, results.size(), failed);
    }
  };
  co_await run_concurrently(std::min(jobs, results.size()), std::move(worker));
}

std::vector<std::string> cells(const db::Row& row, int columns) {
  std::vector<std::string> out;
  for (int c = 0; c < columns; ++c) out.emplace_back(row.is_null(c) ? "NULL" : std::string(row.text(c)));
  return out;
}

void print_text(const ExecResult& r) {
  std::cout << "== " << r.schema << "\n";
  if (!r.error.empty()) {
    std::cout << "ERROR: " << r.error << "\n";
    return;
  }
  const db::Result& result = *r.result;
  if (result.columns() == 0) {
    std::cout << result.command_tag() << "\n";
    return;
  }
  std::vector<std::string> header;
  for (int c = 0; c < result.columns(); ++c) header.emplace_back(result.column_name(c));
  std::vector<std::vector<std::string>> rows;
  for (auto row : result) rows.push_back(cells(row, result.columns()));
  print_table(header, rows);
  std::cout << "(" << result.size() << " row" << (result.size() == 1 ? "" : "s") << ")\n";
}

/// {"tenant", "ok", "command", "columns", "rows"} or {"tenant", "ok": false, "error"}; values as PostgreSQL's
/// text (null for NULL), so that nothing is lost to a number type.
boost::json::object result_json(const ExecResult& r) {
  boost::json::object out{{"tenant", r.schema}, {"ok", r.error.empty()}};
  if (!r.error.empty()) {
    out["error"] = r.error;
    return out;
  }
  const db::Result& result = *r.result;
  out["command"] = result.command_tag();
  boost::json::array columns, rows;
  for (int c = 0; c < result.columns(); ++c) columns.emplace_back(result.column_name(c));
  for (auto row : result) {
    boost::json::array values;
    for (int c = 0; c < result.columns(); ++c)
      values.push_back(row.is_null(c) ? boost::json::value(nullptr) : boost::json::value(row.text(c)));
    rows.push_back(std::move(values));
  }
  out["columns"] = std::move(columns);
  out["rows"] = std::move(rows);
  return out;
}

}  // namespace

void add_exec_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("exec", "Run SQL in one tenant's schema or in every tenant's");
  struct Options {
    std::vector<std::string> tenants;
    bool all = false;
    std::size_t jobs = 1;
    std::vector<std::string> sql;
  };
  auto o = std::make_shared<Options>();
  auto* tenant = cmd->add_option("--tenant", o->tenants, "A tenant's slug (repeatable)");
  auto* all = cmd->add_flag("--all", o->all, "Every tenant");
  tenant->excludes(all);
  cmd->add_option("--jobs,-j", o->jobs, "Tenant schemas worked on in parallel")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  add_json_flag(cmd, ctx);
  cmd->add_option("sql", o->sql, "The SQL, after --")->required();
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> int {
      if (!o->all && o->tenants.empty()) throw CLI::ValidationError("exec", "give --tenant NAME or --all");
      std::string sql;
      for (const auto& part : o->sql) sql += (sql.empty() ? "" : " ") + part;
      ctx.pool(o->jobs + 1);
      std::vector<ExecResult> results;
      for (const auto& schema : target_schemas(ctx, o->all, o->tenants))
        results.push_back({schema.str(), {}, {}});
      FleetProgress progress("exec:");
      ctx.run(run_everywhere(ctx.pool(), sql, results, o->jobs, o->all, progress));
      progress.finish();
      std::size_t failed = 0;
      for (const auto& r : results) failed += r.error.empty() ? 0 : 1;
      if (ctx.json) {
        boost::json::array out;
        for (const auto& r : results) out.push_back(result_json(r));
        print_json(boost::json::object{{"results", std::move(out)},
                                       {"succeeded", results.size() - failed},
                                       {"failed", failed},
                                       {"elapsed_seconds", progress.elapsed_seconds()}});
      } else {
        for (const auto& r : results) print_text(r);
        std::cout << results.size() - failed << " succeeded, " << failed << " failed in "
                  << progress.elapsed() << "\n";
      }
      return failed ? 1 : 0;
    };
  });
}

}  // namespace tenantry::cli

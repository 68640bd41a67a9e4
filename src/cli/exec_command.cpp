// `tenantry exec (--tenant NAME | --all) -- SQL`: run SQL in tenant schemas, reporting per tenant.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_audit.hpp"
#include "cli/cli_context.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"

namespace tenantry::cli {

namespace {

/// `exec --all`: each tenant's SQL runs in one transaction with its audit entry, so that the log holds
/// exactly the tenants it changed (statements that cannot run in a transaction, such as VACUUM, go with
/// --tenant).
Task<db::Result> exec_audited(db::Pool& pool, const tenancy::SchemaName& schema, const std::string& sql) {
  const db::Session session(pool, schema.str());
  db::Transaction tx = co_await session.begin();
  db::Result result = co_await tx.execute_script(sql);
  const auto entry = cli_entry("exec", schema.str(), {{"sql", sql.substr(0, 2000)}, {"all", true}});
  co_await apps::admin::record(tx, entry);
  co_await tx.commit();
  co_return result;
}

}  // namespace

void add_exec_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("exec", "Run SQL in one tenant's schema or in every tenant's");
  struct Options {
    std::vector<std::string> tenants;
    bool all = false;
    std::vector<std::string> sql;
  };
  auto o = std::make_shared<Options>();
  auto* tenant = cmd->add_option("--tenant", o->tenants, "A tenant's slug (repeatable)");
  auto* all = cmd->add_flag("--all", o->all, "Every tenant");
  tenant->excludes(all);
  cmd->add_option("sql", o->sql, "The SQL, after --")->required();
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> int {
      if (!o->all && o->tenants.empty()) throw CLI::ValidationError("exec", "give --tenant NAME or --all");
      std::string sql;
      for (const auto& part : o->sql) sql += (sql.empty() ? "" : " ") + part;
      std::vector<tenancy::SchemaName> schemas;
      if (o->all) {
        for (const auto& t : ctx.run(tenancy::TenantCatalog(ctx.pool()).list()))
          if (t.state != tenancy::TenantState::kProvisioning && t.state != tenancy::TenantState::kFailed &&
              t.state != tenancy::TenantState::kDropping)
            schemas.push_back(t.schema);
      } else {
        for (const auto& name : o->tenants)
          schemas.push_back(
              ctx.run(tenancy::TenantCatalog(ctx.pool()).get(tenancy::SchemaName(name))).schema);
      }
      int failed = 0;
      for (const auto& schema : schemas) {
        std::cout << "== " << schema.str() << "\n";
        try {
          auto result = o->all ? ctx.run(exec_audited(ctx.pool(), schema, sql))
                               : ctx.run(db::Session(ctx.pool(), schema.str()).execute_script(sql));
          if (result.columns() > 0) {
            std::vector<std::string> header;
            for (int c = 0; c < result.columns(); ++c) header.emplace_back(result.column_name(c));
            std::vector<std::vector<std::string>> rows;
            for (auto row : result) {
              std::vector<std::string> cells;
              for (int c = 0; c < result.columns(); ++c)
                cells.emplace_back(row.is_null(c) ? "NULL" : std::string(row.text(c)));
              rows.push_back(std::move(cells));
            }
            print_table(header, rows);
            std::cout << "(" << result.size() << " row" << (result.size() == 1 ? "" : "s") << ")\n";
          } else {
            std::cout << result.command_tag() << "\n";
          }
        } catch (const std::exception& e) {
          ++failed;
          std::cout << "ERROR: " << e.what() << "\n";
        }
      }
      std::cout << schemas.size() - failed << " succeeded, " << failed << " failed\n";
      return failed ? 1 : 0;
    };
  });
}

}  // namespace tenantry::cli

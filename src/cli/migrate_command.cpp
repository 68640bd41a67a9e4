// `tenantry migrate`: shared migrations in public, then tenant migrations in every tenant schema.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_audit.hpp"
#include "cli/cli_context.hpp"
#include "cli/progress.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"

namespace tenantry::cli {

namespace {

using migrations::SchemaOutcome;

void print_outcome(const SchemaOutcome& o) {
  switch (o.kind) {
    case SchemaOutcome::Kind::kMigrated:
      std::cout << o.schema << ": applied " << o.applied.size() << " migration(s)";
      for (const auto& id : o.applied) std::cout << (id == o.applied.front() ? " (" : ", ") << id;
      std::cout << ")\n";
      break;
    case SchemaOutcome::Kind::kCurrent:
      std::cout << o.schema << ": up to date\n";
      break;
    case SchemaOutcome::Kind::kFailed:
      std::cout << o.schema << ": FAILED: " << o.error << "\n";
      break;
    case SchemaOutcome::Kind::kSkipped:
      std::cout << o.schema << ": skipped: " << o.error << "\n";
      break;
  }
}

const char* result_name(SchemaOutcome::Kind kind) {
  switch (kind) {
    case SchemaOutcome::Kind::kMigrated:
      return "migrated";
    case SchemaOutcome::Kind::kCurrent:
      return "current";
    case SchemaOutcome::Kind::kFailed:
      return "failed";
    case SchemaOutcome::Kind::kSkipped:
      return "skipped";
  }
  return "unknown";
}

boost::json::object outcome_json(const SchemaOutcome& o) {
  boost::json::array applied;
  for (const auto& id : o.applied) applied.emplace_back(id);
  boost::json::object out{{"schema", o.schema},
                          {"result", result_name(o.kind)},
                          {"applied", std::move(applied)},
                          {"milliseconds", o.milliseconds}};
  if (!o.error.empty()) out["error"] = o.error;
  return out;
}

boost::json::array strings(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

boost::json::object status_json(const migrations::SchemaStatus& s) {
  boost::json::array applied;
  for (const auto& a : s.applied)
    applied.push_back(
        {{"migration", a.app + "/" + a.name}, {"checksum", a.checksum}, {"applied_at", a.applied_at}});
  return {{"schema", s.schema},
          {"missing", s.missing},
          {"applied", std::move(applied)},
          {"pending", strings(s.pending)},
          {"problems", strings(s.problems)}};
}

int status(CliContext& ctx, const std::optional<std::string>& tenant) {
  std::optional<db::SchemaName> only;
  if (tenant) only.emplace(*tenant);
  auto all = ctx.run(ctx.migrations().status(only));
  bool problems = false;
  if (ctx.json) {
    boost::json::array schemas;
    for (const auto& s : all) {
      schemas.push_back(status_json(s));
      problems |= !s.problems.empty();
    }
    print_json(boost::json::object{{"schemas", std::move(schemas)}});
    return problems ? 1 : 0;
  }
  for (const auto& s : all) {
    if (s.missing) {
      std::cout << s.schema << ": skipped: the schema no longer exists (the tenant was dropped or renamed)\n";
      continue;
    }
    std::cout << s.schema << ": " << s.applied.size() << " applied, " << s.pending.size() << " pending\n";
    for (const auto& a : s.applied)
      std::cout << "  [x] " << a.app << "/" << a.name << "  " << a.applied_at << "\n";
    for (const auto& p : s.pending) std::cout << "  [ ] " << p << "\n";
    for (const auto& p : s.problems) std::cout << "  !!  " << p << "\n";
    problems |= !s.problems.empty();
  }
  return problems ? 1 : 0;
}

/// For deploy pipelines: 1 when anything is pending (or inconsistent) in public or any tenant schema, with
/// what; 0 when everything is current. Reads every schema's history, as --status does; changes nothing.
int check(CliContext& ctx, const std::optional<std::string>& tenant) {
  std::optional<db::SchemaName> only;
  if (tenant) only.emplace(*tenant);
  auto all = ctx.run(ctx.migrations().status(only));
  std::size_t behind = 0, schemas = 0;
  boost::json::array not_current;
  for (const auto& s : all) {
    if (s.missing) continue;
    ++schemas;
    if (s.pending.empty() && s.problems.empty()) continue;
    ++behind;
    if (ctx.json) {
      not_current.push_back(status_json(s));
      continue;
    }
    std::cout << s.schema << ": " << s.pending.size() << " pending\n";
    for (const auto& p : s.pending) std::cout << "  [ ] " << p << "\n";
    for (const auto& p : s.problems) std::cout << "  !!  " << p << "\n";
  }
  if (ctx.json) {
    print_json(boost::json::object{
        {"current", behind == 0}, {"schemas_checked", schemas}, {"not_current", std::move(not_current)}});
    return behind == 0 ? 0 : 1;
  }
  if (behind == 0) {
    std::cout << "migrations are current (" << schemas << " schema(s) checked)\n";
    return 0;
  }
  std::cout << behind << " of " << schemas << " schema(s) not current: run `tenantry migrate`\n";
  return 1;
}

/// A migration run is many transactions: one audit entry after it, with its outcome, when it did (or failed
/// to do) anything. Public: "" as `tenant`.
void audit_migration(CliContext& ctx, const std::string& tenant, const std::vector<SchemaOutcome>& outcomes) {
  std::size_t migrated = 0, failed = 0;
  for (const auto& o : outcomes) {
    migrated += o.kind == SchemaOutcome::Kind::kMigrated;
    failed += o.kind == SchemaOutcome::Kind::kFailed;
  }
  if (migrated == 0 && failed == 0) return;  // nothing to do: not an action
  auto entry = cli_entry("migrate", tenant, {{"schemas_migrated", migrated}, {"schemas_failed", failed}});
  entry.ok = failed == 0;
  ctx.run(record_after(ctx.pool(), entry));
}

/// Provisioning killed mid-way leaves rows no server would finish: a fleet run clears them too.
void recover_provisioning(CliContext& ctx) {
  tenancy::TenantProvisioner provisioner(ctx.pool(), ctx.migrations().tenant_plan());
  for (const auto& schema : ctx.run(provisioner.recover_abandoned()))
    (ctx.json ? std::cerr : std::cout) << schema.str() << ": removed (its provisioning was abandoned)\n";
}

int migrate_one(CliContext& ctx, const db::SchemaName& schema) {
  const db::Session catalog(ctx.pool());
  if (ctx.run(catalog.query("SELECT 1 FROM tenants WHERE schema_name = $1", schema)).empty())
    throw CommandError("no tenant '" + schema.str() + "'");
  auto outcome = ctx.run(ctx.migrations().migrate_tenant(schema));
  audit_migration(ctx, schema.str(), {outcome});
  if (ctx.json)
    print_json(outcome_json(outcome));
  else
    print_outcome(outcome);
  return outcome.kind == SchemaOutcome::Kind::kFailed ? 1 : 0;
}

int migrate_all(CliContext& ctx, std::size_t jobs, bool fail_fast, bool shared_only) {
  FleetProgress progress("migrating");
  auto shared_outcome = ctx.run(ctx.migrations().migrate_shared());
  if (!ctx.json) print_outcome(shared_outcome);
  const bool shared_failed = shared_outcome.kind == SchemaOutcome::Kind::kFailed;
  migrations::FleetReport report;
  std::vector<SchemaOutcome> everything{shared_outcome};
  if (!shared_failed)
    for (const auto& change : ctx.apply_grants())
      if (!ctx.json) std::cout << "database grants: " << change << "\n";
  if (!shared_failed && !shared_only) {
    std::size_t failed = 0;
    migrations::FleetOptions fleet{.jobs = jobs, .fail_fast = fail_fast};
    fleet.on_progress = [&](const SchemaOutcome& o, std::size_t done, std::size_t total) {
      failed += o.kind == SchemaOutcome::Kind::kFailed;
      progress.update(done, total, failed);
    };
    report = ctx.run(ctx.migrations().migrate_tenants(fleet));
    progress.finish();
    recover_provisioning(ctx);
    everything.insert(everything.end(), report.outcomes.begin(), report.outcomes.end());
  }
  audit_migration(ctx, "", everything);
  const int code = shared_failed || !report.ok() ? 1 : 0;
  if (ctx.json) {
    boost::json::array tenants;
    for (const auto& o : report.outcomes) tenants.push_back(outcome_json(o));
    print_json(boost::json::object{{"shared", outcome_json(shared_outcome)},
                                   {"tenants", std::move(tenants)},
                                   {"migrated", report.count(SchemaOutcome::Kind::kMigrated)},
                                   {"current", report.count(SchemaOutcome::Kind::kCurrent)},
                                   {"failed", report.count(SchemaOutcome::Kind::kFailed)},
                                   {"skipped", report.count(SchemaOutcome::Kind::kSkipped)},
                                   {"elapsed_seconds", progress.elapsed_seconds()}});
    return code;
  }
  if (shared_failed || shared_only) return code;
  for (const auto& o : report.outcomes)
    if (o.kind == SchemaOutcome::Kind::kFailed || o.kind == SchemaOutcome::Kind::kSkipped) print_outcome(o);
  std::cout << "tenants: " << report.count(SchemaOutcome::Kind::kMigrated) << " migrated, "
            << report.count(SchemaOutcome::Kind::kCurrent) << " already current, "
            << report.count(SchemaOutcome::Kind::kFailed) << " failed, "
            << report.count(SchemaOutcome::Kind::kSkipped) << " skipped"
            << (report.outcomes.empty() ? " (every tenant is up to date)" : "") << " in "
            << progress.elapsed() << "\n";
  return code;
}

}  // namespace

void add_migrate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("migrate", "Apply migrations: shared (public), then every tenant schema");
  struct Options {
    bool shared = false, fail_fast = false, status = false, check = false;
    std::optional<std::string> tenant;
    std::optional<std::int64_t> jobs;
  };
  auto opts = std::make_shared<Options>();
  auto* shared = cmd->add_flag("--shared", opts->shared, "Only the shared migrations (public schema)");
  cmd->add_option("--tenant", opts->tenant, "Only this tenant's schema")->excludes(shared);
  cmd->add_option("--jobs,-j", opts->jobs, "Tenant schemas migrated in parallel (default: migrations.jobs)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--fail-fast", opts->fail_fast, "Stop at the first tenant that fails");
  auto* status_flag = cmd->add_flag("--status", opts->status,
                                    "Show applied and pending migrations per schema; change nothing");
  cmd->add_flag("--check", opts->check,
                "Exit 1 when any migration is pending (shared or any tenant), 0 when all is current; "
                "change nothing")
      ->excludes(status_flag)
      ->excludes(shared);
  add_json_flag(cmd, ctx);
  cmd->callback([&ctx, opts] {
    ctx.action = [&ctx, opts]() -> int {
      if (opts->status) return status(ctx, opts->tenant);
      if (opts->check) return check(ctx, opts->tenant);
      const std::size_t jobs = static_cast<std::size_t>(opts->jobs.value_or(ctx.config().migrations.jobs));
      ctx.pool(jobs + 1);
      if (opts->tenant) return migrate_one(ctx, db::SchemaName(*opts->tenant));
      return migrate_all(ctx, jobs, opts->fail_fast, opts->shared);
    };
  });
}

}  // namespace tenantry::cli

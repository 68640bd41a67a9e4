// /admin/api/migrations: the migration status of public and every tenant, and fleet runs started from the
// API (in the background, their progress polled).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "apps/admin/admin_state.hpp"
#include "tenantry/migrations/migration_runner.hpp"

namespace tenantry::apps::admin {

/// A fleet migration started from the API, and its progress while it runs.
struct FleetRun {
  std::mutex mutex;
  std::int64_t id = 0;
  std::string started_by;
  std::size_t total = 0, done = 0;
  std::vector<migrations::SchemaOutcome> outcomes;
  bool finished = false;
  std::string error;

  boost::json::object to_json() {
    std::lock_guard lock(mutex);
    std::size_t migrated = 0, current = 0, failed = 0;
    boost::json::array results;
    for (const auto& o : outcomes) {
      using Kind = migrations::SchemaOutcome::Kind;
      migrated += o.kind == Kind::kMigrated;
      current += o.kind == Kind::kCurrent;
      failed += o.kind == Kind::kFailed;
      boost::json::array applied;
      for (const auto& a : o.applied) applied.push_back(boost::json::value(a));
      results.push_back({{"tenant", o.schema},
                         {"result", o.kind == Kind::kFailed     ? "failed"
                                    : o.kind == Kind::kMigrated ? "migrated"
                                    : o.kind == Kind::kSkipped  ? "skipped"
                                                                : "current"},
                         {"applied", std::move(applied)},
                         {"error", o.error},
                         {"milliseconds", o.milliseconds}});
    }
    return {{"id", id},
            {"started_by", started_by},
            {"total", total},
            {"done", done},
            {"migrated", migrated},
            {"current", current},
            {"failed", failed},
            {"finished", finished},
            {"error", error},
            {"results", std::move(results)}};
  }
};

namespace {

using auth::Principal;
using http::Response;
using web::RequestContext;

Task<void> run_fleet(db::Pool& pool, std::span<const migrations::App* const> apps,
                     std::shared_ptr<FleetRun> run, std::size_t jobs) {
  migrations::MigrationRunner runner(pool, apps);
  try {
    auto shared = co_await runner.migrate_shared();
    if (shared.kind == migrations::SchemaOutcome::Kind::kFailed) throw std::runtime_error(shared.error);
    migrations::FleetOptions options{.jobs = jobs};
    options.on_progress = [run](const migrations::SchemaOutcome& o, std::size_t done, std::size_t total) {
      std::lock_guard lock(run->mutex);
      run->done = done;
      run->total = total;
      run->outcomes.push_back(o);
    };
    co_await runner.migrate_tenants(options);
  } catch (const std::exception& e) {
    std::lock_guard lock(run->mutex);
    run->error = e.what();
  }
  std::lock_guard lock(run->mutex);
  run->finished = true;
}

Task<Response> migration_status(RequestContext& ctx, const AdminState& state) {
  migrations::MigrationRunner runner(ctx.owner_pool, state.apps);
  const std::optional<db::SchemaName> all;
  auto status = co_await runner.status(all);
  boost::json::array schemas;
  for (const auto& s : status) {
    boost::json::array pending, problems;
    for (const auto& p : s.pending) pending.push_back(boost::json::value(p));
    for (const auto& p : s.problems) problems.push_back(boost::json::value(p));
    schemas.push_back({{"schema", s.schema},
                       {"applied", s.applied.size()},
                       {"pending", std::move(pending)},
                       {"problems", std::move(problems)}});
  }
  co_return Response::json(200, {{"schemas", std::move(schemas)}});
}

/// Starts a run on this I/O thread's pool in the background; GET .../runs/{id} reports its progress.
Task<Response> start_run(RequestContext& ctx, const std::shared_ptr<AdminState>& state,
                         const Principal& who) {
  auto run = std::make_shared<FleetRun>();
  {
    std::lock_guard lock(state->runs_mutex);
    run->id = state->next_run++;
    state->runs[run->id] = run;
  }
  run->started_by = who.user_id.to_string();
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::co_spawn(
      executor,
      run_fleet(ctx.owner_pool, state->apps, run, static_cast<std::size_t>(ctx.config.migrations.jobs)),
      boost::asio::detached);
  co_return Response::json(202, run->to_json());
}

std::shared_ptr<FleetRun> find_run(AdminState& state, std::int64_t id) {
  std::lock_guard lock(state.runs_mutex);
  auto it = state.runs.find(id);
  if (it == state.runs.end()) throw http::NotFound("No such migration run.");
  return it->second;
}

}  // namespace

void register_migration_routes(web::RouteTable& r, const std::shared_ptr<AdminState>& state) {
  using web::Schema;
  const Schema strings = Schema::array(Schema::string());
  const Schema status =
      Schema::object({{"schemas", Schema::array(Schema::object({{"schema", Schema::string()},
                                                                {"applied", Schema::integer(0)},
                                                                {"pending", strings},
                                                                {"problems", strings}}))}})
          .named("MigrationStatus");
  const Schema outcome =
      Schema::object({{"tenant", Schema::string()},
                      {"result", Schema::choice({"failed", "migrated", "skipped", "current"})},
                      {"applied", strings},
                      {"error", Schema::string()},
                      {"milliseconds", Schema::integer(0)}});
  const Schema run = Schema::object({{"id", Schema::integer(1)},
                                     {"started_by", Schema::string()},
                                     {"total", Schema::integer(0)},
                                     {"done", Schema::integer(0)},
                                     {"migrated", Schema::integer(0)},
                                     {"current", Schema::integer(0)},
                                     {"failed", Schema::integer(0)},
                                     {"finished", Schema::boolean()},
                                     {"error", Schema::string()},
                                     {"results", Schema::array(outcome)}})
                         .describe("A fleet migration run: its progress and per-tenant results.")
                         .named("MigrationRun");
  r.add("GET", "/admin/api/migrations",
        [state](RequestContext& ctx) { return migration_status(ctx, *state); },
        {.summary = "Applied and pending migrations of public and every tenant",
         .tags = {"admin"},
         .operation_id = "adminMigrationStatus",
         .access = web::Access::platform_admin(),
         .replies = {{200, status}}});
  audited_route(r, "POST", "/admin/api/migrations/runs", "migrations.run",
                [state](RequestContext& ctx, const Principal& who) -> Task<AuditedWork> {
                  co_return AuditedWork{{}, {}, [&ctx, state, who]() { return start_run(ctx, state, who); }};
                },
                {.summary = "Start a fleet migration run",
                 .tags = {"admin"},
                 .operation_id = "adminStartMigrationRun",
                 .replies = {{202, run, "Started: poll its progress"}}});
  r.add("GET", "/admin/api/migrations/runs/{id:int}",
        [state](RequestContext& ctx) -> Task<Response> {
          const std::shared_ptr<FleetRun> found = find_run(*state, *ctx.params.get_int("id"));
          co_return Response::json(200, found->to_json());
        },
        {.summary = "Progress and per-tenant results of a migration run",
         .tags = {"admin"},
         .operation_id = "adminGetMigrationRun",
         .access = web::Access::platform_admin(),
         .path = {{"id", Schema::integer(0).example(1), "The run's id."}},
         .replies = {{200, run}}});
}

}  // namespace tenantry::apps::admin

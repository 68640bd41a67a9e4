#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <map>
#include <mutex>

#include "apps/accounts/account_flows.hpp"
#include "apps/admin/admin_app.hpp"
#include "apps/admin/audit.hpp"
#include "apps/admin/tenant_owner.hpp"
#include "tenantry/core/embedded_file.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_json.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/web/json_input.hpp"
#include "tenantry/web/pagination.hpp"

namespace tenantry::apps::admin {

namespace {

using auth::Principal;
using http::Response;
using web::JsonInput;
using web::RequestContext;

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

/// What the admin handlers share.
struct AdminState {
  AdminState(std::shared_ptr<auth::AuthService> a, std::shared_ptr<mail::Mailer> mailer,
             std::span<const migrations::App* const> s, const migrations::MigrationPlan& plan)
      : auth(a), apps(s), tenant_plan(plan), accounts{std::move(a), std::move(mailer), plan} {}
  std::shared_ptr<auth::AuthService> auth;
  std::span<const migrations::App* const> apps;
  const migrations::MigrationPlan& tenant_plan;
  /// For the owner invitations of the tenants created here.
  accounts::Accounts accounts;
  std::mutex runs_mutex;
  std::map<std::int64_t, std::shared_ptr<FleetRun>> runs;
  std::int64_t next_run = 1;
};

db::SchemaName slug_of(const RequestContext& ctx) {
  const std::string slug(ctx.params.get("slug").value_or(""));
  if (!db::SchemaName::why_invalid(slug).empty())
    web::fail(404, "not-found", "Not found", "No tenant '" + slug + "'.");
  return db::SchemaName(slug);
}

/// 404 unless `domain` belongs to the tenant `schema`.
Task<void> require_domain_of(RequestContext& ctx, const tenancy::DomainName& domain,
                             const db::SchemaName& schema) {
  auto owner = co_await db::Session(ctx.pool).query(
      "SELECT 1 FROM domains d JOIN tenants t ON t.id = d.tenant_id WHERE d.domain = $1 AND t.schema_name = "
      "$2",
      domain, schema);
  if (owner.empty())
    web::fail(404, "not-found", "Not found", "No domain '" + domain.str() + "' on this tenant.");
}

Task<Response> tenant_detail(RequestContext& ctx, AdminState& state, const db::SchemaName& schema) {
  const tenancy::TenantCatalog catalog(ctx.pool);
  const tenancy::Tenant tenant = co_await catalog.get(schema);
  const db::Session public_db(ctx.pool);
  auto members = co_await public_db.query("SELECT count(*) FROM memberships WHERE tenant_id = $1", tenant.id);
  auto size = co_await public_db.query(
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')",
      schema);
  migrations::MigrationRunner runner(ctx.pool, state.apps);
  const std::optional<db::SchemaName> only = schema;
  auto status = co_await runner.status(only);
  boost::json::array applied, pending, problems;
  for (const auto& a : status.at(0).applied)
    applied.push_back({{"migration", a.app + "/" + a.name}, {"applied_at", a.applied_at}});
  for (const auto& p : status.at(0).pending) pending.push_back(boost::json::value(p));
  for (const auto& p : status.at(0).problems) problems.push_back(boost::json::value(p));
  boost::json::array rate;
  for (auto n : ctx.metrics.tenant_rate(schema.str(), 60)) rate.push_back(n);
  auto body = tenancy::to_json(tenant);
  body["member_count"] = members.one().get<std::int64_t>(0);
  body["schema_size_bytes"] = size.one().get<std::int64_t>(0);
  body["migrations"] = {
      {"applied", std::move(applied)}, {"pending", std::move(pending)}, {"problems", std::move(problems)}};
  body["requests"] = {{"total", ctx.metrics.tenant_requests(schema.str())},
                      {"per_minute_last_hour", std::move(rate)}};
  co_return Response::json(200, body);
}

Task<Response> list_tenants(RequestContext& ctx) {
  const auto page = web::Page::from(ctx.request);
  const auto q = ctx.request.query_param("q");
  const auto state = ctx.request.query_param("state");
  const auto plan = ctx.request.query_param("plan");
  const std::string where =
      " WHERE ($1::text IS NULL OR t.schema_name ILIKE '%' || $1 || '%' OR t.name ILIKE '%' || $1 || '%' OR "
      "EXISTS (SELECT 1 FROM domains d WHERE d.tenant_id = t.id AND d.domain ILIKE '%' || $1 || '%')) "
      "AND ($2::text IS NULL OR t.state = $2) AND ($3::text IS NULL OR t.plan = $3)";
  const db::Session public_db(ctx.pool);
  auto count = co_await public_db.query("SELECT count(*) FROM tenants t" + where, q, state, plan);
  auto ids = co_await public_db.query(
      "SELECT t.schema_name FROM tenants t" + where + " ORDER BY t.id LIMIT $4 OFFSET $5", q, state, plan,
      page.limit, page.offset);
  const tenancy::TenantCatalog catalog(ctx.pool);
  boost::json::array results;
  for (auto row : ids) {
    const db::SchemaName schema(row.get<std::string_view>(0));
    auto tenant = co_await catalog.find(schema);
    if (tenant) results.push_back(tenancy::to_json(*tenant));
  }
  co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
}

Task<Response> create_tenant(RequestContext& ctx, AdminState& state, const Principal& who) {
  JsonInput in(ctx.request);
  in.only({"slug", "name", "plan", "domains", "owner"});
  auto slug = in.string("slug", {.required = true, .min = 1});
  auto name = in.string("name", {.required = true, .min = 1, .max = 200, .single_line = true});
  auto plan = in.string("plan", {.min = 1});
  auto owner_email = in.email("owner", {});
  if (slug)
    if (auto why = db::SchemaName::why_invalid(*slug); !why.empty())
      in.error("slug", "Invalid slug: " + why + ".");
  if (plan && !ctx.config.plans.count(*plan)) in.error("plan", "Unknown plan '" + *plan + "'.");
  std::vector<tenancy::DomainName> domains;
  in.finish();
  tenancy::NewTenant request{db::SchemaName(*slug), *name, {}, plan.value_or("free")};
  const auto body = boost::json::parse(ctx.request.body).as_object();
  if (const auto* list = body.if_contains("domains"); list && list->is_array()) {
    std::vector<http::FieldError> errors;
    for (const auto& d : list->as_array()) {
      const std::string text = d.is_string() ? std::string(d.as_string()) : std::string();
      const std::string normal = tenancy::DomainName::normalise(text);
      if (auto why = tenancy::DomainName::why_invalid(normal); !why.empty())
        errors.push_back({"domains", "'" + text + "': " + why + "."});
      else
        request.domains.emplace_back(normal);
    }
    if (!errors.empty()) throw http::ProblemError(web::validation_problem(std::move(errors)));
  }
  if (request.domains.empty())
    request.domains.push_back(tenancy::default_domain(request.schema, ctx.config.tenancy.base_domain));
  tenancy::TenantProvisioner provisioner(ctx.pool, state.tenant_plan, ctx.config.tenancy);
  // The owner (a verified account, or else an invitation) commits with the tenant or not at all.
  std::optional<TenantOwner> owner;
  tenancy::ActivationHook add_owner;
  if (owner_email) {
    owner.emplace(state.accounts, ctx.config, *owner_email, who.user_id);
    add_owner = owner->hook(request.name);
  }
  const tenancy::Tenant tenant = co_await provisioner.create(request, add_owner);
  if (owner) owner->deliver();
  co_await ctx.tenants.load(ctx.pool);
  auto created = tenancy::to_json(tenant);
  if (owner) created["owner"] = owner->to_json();
  co_return Response::json(201, created);
}

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

}  // namespace

std::span<const EmbeddedFile> console_files();

void register_routes(web::Routes& routes, std::shared_ptr<auth::AuthService> auth,
                     std::shared_ptr<mail::Mailer> mailer, std::span<const migrations::App* const> apps,
                     const migrations::MigrationPlan& tenant_plan) {
  auto state = std::make_shared<AdminState>(auth, std::move(mailer), apps, tenant_plan);
  auto& r = routes.public_routes;

  // The console: static files compiled into the binary.
  for (const EmbeddedFile& file : console_files()) {
    const std::string path = file.name == "index.html" ? "/admin/" : "/admin/" + std::string(file.name);
    const std::string type = file.name.ends_with(".css")  ? "text/css; charset=utf-8"
                             : file.name.ends_with(".js") ? "text/javascript; charset=utf-8"
                                                          : "text/html; charset=utf-8";
    r.add("GET", path,
          [content = file.content, type](RequestContext&) -> Task<Response> {
            Response response = Response::text(200, std::string(content), type);
            response.add_header("Cache-Control", "no-cache");
            // Nothing but the console's own files and API; inline styles only for the style attributes
            // console.js sets. Never framed: its buttons suspend and drop tenants (clickjacking).
            response.add_header("Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'");
            response.add_header("X-Frame-Options", "DENY");  // for browsers without frame-ancestors
            response.add_header("X-Content-Type-Options", "nosniff");
            response.add_header("Referrer-Policy", "no-referrer");
            co_return response;
          },
          {.summary = "Admin console: " + std::string(file.name), .tags = {"console"}});
  }

  r.add("POST", "/admin/api/auth/login",
        [state](RequestContext& ctx) -> Task<Response> {
          JsonInput in(ctx.request);
          auto email = in.email("email", {.required = true});
          auto password = in.string("password", {.required = true, .min = 1, .max = 1024});
          in.finish();
          const db::Session throttled(ctx.pool);
          const auto rules = accounts::login_rules(ctx.config, ctx.request.remote_address, *email);
          co_await auth::throttle(throttled, rules);
          const db::Session public_db(ctx.pool);
          auto rows = co_await public_db.query(
              "SELECT id, password_hash, is_platform_admin, is_disabled FROM users WHERE email = $1", *email);
          std::string hash = rows.empty() ? std::string() : rows.one().get<std::string>(1);
          const bool valid = co_await state->auth->verify_password(std::move(hash), *password);
          if (rows.empty() || !valid || rows.one().get<bool>(3))
            web::fail(401, "invalid-credentials", "Invalid credentials", "The e-mail or password is wrong.");
          if (!rows.one().get<bool>(2))
            web::fail(403, "not-a-platform-admin", "Not a platform admin",
                      "This account cannot administer the platform.");
          const auto token = state->auth->issue(rows.one().get<std::int64_t>(0), 0, auth::Role::kOwner);
          co_return Response::json(200, {{"token", token.token},
                                         {"token_type", "Bearer"},
                                         {"expires_at", token.expires_at},
                                         {"email", *email}});
        },
        {.summary = "Log in as a platform admin", .tags = {"admin"}});
  r.add("POST", "/admin/api/auth/logout",
        [state](RequestContext& ctx) -> Task<Response> {
          const Principal who = state->auth->require_platform_admin(ctx);
          co_await state->auth->revoke_token(ctx.db, who);
          co_return Response::empty(204);
        },
        {.summary = "Revoke the platform-admin token used", .tags = {"admin"}});
  register_user_routes(r, state->auth);

  r.add("GET", "/admin/api/tenants",
        [state](RequestContext& ctx) -> Task<Response> {
          state->auth->require_platform_admin(ctx);
          co_return co_await list_tenants(ctx);
        },
        {.summary = "List tenants (q, state, plan, limit, offset)", .tags = {"admin"}});
  r.add("POST", "/admin/api/tenants",
        [state](RequestContext& ctx) -> Task<Response> {
          const Principal who = state->auth->require_platform_admin(ctx);
          // Each tenant is a schema: even an admin (or a stolen admin token) creates them at a bounded rate.
          const std::vector<auth::ThrottleRule> rules{{"create:admin:" + std::to_string(who.user_id),
                                                       ctx.config.auth.admin_tenant_creations_per_minute}};
          co_await auth::throttle(ctx.db, rules);
          std::string slug;
          boost::system::error_code ec;
          auto body = boost::json::parse(ctx.request.body, ec);
          if (!ec && body.is_object() && body.as_object().contains("slug") && body.at("slug").is_string())
            slug = std::string(body.at("slug").as_string());
          std::function<Task<Response>()> work = [&]() { return create_tenant(ctx, *state, who); };
          const std::string action = "tenant.create";
          const boost::json::object detail;
          co_return co_await audited(ctx, who, action, slug, detail, work);
        },
        {.summary = "Create (provision) a tenant", .tags = {"admin"}});
  r.add(
      "GET", "/admin/api/tenants/{slug}",
      [state](RequestContext& ctx) -> Task<Response> {
        state->auth->require_platform_admin(ctx);
        const auto schema = slug_of(ctx);
        co_return co_await tenant_detail(ctx, *state, schema);
      },
      {.summary = "A tenant with domains, members, size, migrations and request counts", .tags = {"admin"}});
  r.add("PATCH", "/admin/api/tenants/{slug}",
        [state](RequestContext& ctx) -> Task<Response> {
          const Principal who = state->auth->require_platform_admin(ctx);
          const auto schema = slug_of(ctx);
          std::function<Task<Response>()> work = [&]() -> Task<Response> {
            JsonInput in(ctx.request);
            in.only({"name", "plan"});
            auto name = in.string("name", {.min = 1, .max = 200, .single_line = true});
            auto plan = in.string("plan", {.min = 1});
            if (plan && !ctx.config.plans.count(*plan)) in.error("plan", "Unknown plan '" + *plan + "'.");
            in.finish();
            co_await tenancy::TenantCatalog(ctx.pool).update(schema, name, plan);
            co_await ctx.tenants.load(ctx.pool);
            co_return co_await tenant_detail(ctx, *state, schema);
          };
          const std::string action = "tenant.update";
          const boost::json::object detail;
          co_return co_await audited(ctx, who, action, schema.str(), detail, work);
        },
        {.summary = "Change a tenant's name or plan", .tags = {"admin"}});

  struct StateChange {
    const char* path;
    const char* action;
    Task<void> (tenancy::TenantCatalog::*change)(const db::SchemaName&, tenancy::TransactionHook);
  };
  static const std::array<StateChange, 2> changes{
      {{"/admin/api/tenants/{slug}/resume", "tenant.resume", &tenancy::TenantCatalog::resume},
       {"/admin/api/tenants/{slug}/archive", "tenant.archive", &tenancy::TenantCatalog::archive}}};
  for (const auto& change : changes) {
    r.add("POST", change.path,
          [state, change](RequestContext& ctx) -> Task<Response> {
            const Principal who = state->auth->require_platform_admin(ctx);
            const auto schema = slug_of(ctx);
            std::function<Task<Response>()> work = [&]() -> Task<Response> {
              tenancy::TenantCatalog catalog(ctx.pool);
              const tenancy::TransactionHook no_hook;  // audited() writes the entry
              co_await (catalog.*change.change)(schema, no_hook);
              co_await ctx.tenants.load(ctx.pool);
              co_return co_await tenant_detail(ctx, *state, schema);
            };
            const std::string action = change.action;
            const boost::json::object detail;
            co_return co_await audited(ctx, who, action, schema.str(), detail, work);
          },
          {.summary = change.action, .tags = {"admin"}});
  }
  r.add("POST", "/admin/api/tenants/{slug}/suspend",
        [state](RequestContext& ctx) -> Task<Response> {
          const Principal who = state->auth->require_platform_admin(ctx);
          const auto schema = slug_of(ctx);
          std::optional<std::string> reason;
          if (!ctx.request.body.empty()) {
            JsonInput in(ctx.request);
            in.only({"reason"});
            reason = in.string("reason", {.max = 500});
            in.finish();
          }
          boost::json::object detail;
          if (reason) detail["reason"] = *reason;
          std::function<Task<Response>()> work = [&]() -> Task<Response> {
            co_await tenancy::TenantCatalog(ctx.pool).suspend(schema, reason);
            co_await ctx.tenants.load(ctx.pool);
            co_return co_await tenant_detail(ctx, *state, schema);
          };
          const std::string action = "tenant.suspend";
          co_return co_await audited(ctx, who, action, schema.str(), detail, work);
        },
        {.summary = "Suspend a tenant (its API answers 403)", .tags = {"admin"}});
  r.add("DELETE", "/admin/api/tenants/{slug}",
        [state](RequestContext& ctx) -> Task<Response> {
          const Principal who = state->auth->require_platform_admin(ctx);
          const auto schema = slug_of(ctx);
          std::function<Task<Response>()> work = [&]() -> Task<Response> {
            JsonInput in(ctx.request);
            auto confirm = in.string("confirm", {.required = true});
            if (confirm && *confirm != schema.str())
              in.error("confirm", "Type the tenant's slug ('" + schema.str() + "') to confirm the drop.");
            in.finish();
            co_await tenancy::TenantProvisioner(ctx.pool, state->tenant_plan).drop(schema);
            co_await ctx.tenants.load(ctx.pool);
            co_return Response::empty(204);
          };
          const std::string action = "tenant.drop";
          const boost::json::object detail;
          co_return co_await audited(ctx, who, action, schema.str(), detail, work);
        },
        {.summary = "Drop a tenant and all its data (body: {\"confirm\": \"<slug>\"})", .tags = {"admin"}});

  r.add("POST", "/admin/api/tenants/{slug}/domains",
        [state](RequestContext& ctx) -> Task<Response> {
          const Principal who = state->auth->require_platform_admin(ctx);
          const auto schema = slug_of(ctx);
          std::function<Task<Response>()> work = [&]() -> Task<Response> {
            JsonInput in(ctx.request);
            in.only({"domain", "primary"});
            auto domain = in.string("domain", {.required = true, .min = 1});
            auto primary = in.boolean("primary");
            if (domain)
              if (auto why = tenancy::DomainName::why_invalid(tenancy::DomainName::normalise(*domain));
                  !why.empty())
                in.error("domain", "Invalid domain: " + why + ".");
            in.finish();
            tenancy::TenantCatalog catalog(ctx.pool, ctx.config.tenancy);
            const tenancy::DomainName name(*domain);
            co_await catalog.add_domain(schema, name, primary.value_or(false));
            co_await ctx.tenants.load(ctx.pool);
            co_return co_await tenant_detail(ctx, *state, schema);
          };
          const std::string action = "domain.add";
          const boost::json::object detail;
          co_return co_await audited(ctx, who, action, schema.str(), detail, work);
        },
        {.summary = "Add a domain", .tags = {"admin"}});
  struct DomainChange {
    const char* method;
    const char* path;
    const char* action;
    const char* summary;
    Task<void> (tenancy::TenantCatalog::*change)(const tenancy::DomainName&);
  };
  static const std::array<DomainChange, 2> domain_changes{
      {{"DELETE", "/admin/api/tenants/{slug}/domains/{domain}", "domain.remove", "Remove a domain",
        &tenancy::TenantCatalog::remove_domain},
       {"POST", "/admin/api/tenants/{slug}/domains/{domain}/primary", "domain.set_primary",
        "Make a domain the tenant's primary", &tenancy::TenantCatalog::set_primary}}};
  for (const auto& change : domain_changes) {
    r.add(change.method, change.path,
          [state, change](RequestContext& ctx) -> Task<Response> {
            const Principal who = state->auth->require_platform_admin(ctx);
            const auto schema = slug_of(ctx);
            const tenancy::DomainName domain(ctx.params.get("domain").value_or(""));
            std::function<Task<Response>()> work = [&]() -> Task<Response> {
              co_await require_domain_of(ctx, domain, schema);
              tenancy::TenantCatalog catalog(ctx.pool);
              co_await (catalog.*change.change)(domain);
              co_await ctx.tenants.load(ctx.pool);
              co_return co_await tenant_detail(ctx, *state, schema);
            };
            const std::string action = change.action;
            const boost::json::object detail{{"domain", domain.str()}};
            co_return co_await audited(ctx, who, action, schema.str(), detail, work);
          },
          {.summary = change.summary, .tags = {"admin"}});
  }

  r.add("GET", "/admin/api/migrations",
        [state](RequestContext& ctx) -> Task<Response> {
          state->auth->require_platform_admin(ctx);
          migrations::MigrationRunner runner(ctx.pool, state->apps);
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
        },
        {.summary = "Applied and pending migrations of public and every tenant", .tags = {"admin"}});
  r.add("POST", "/admin/api/migrations/runs",
        [state](RequestContext& ctx) -> Task<Response> {
          const Principal who = state->auth->require_platform_admin(ctx);
          std::function<Task<Response>()> work = [&]() -> Task<Response> {
            auto run = std::make_shared<FleetRun>();
            {
              std::lock_guard lock(state->runs_mutex);
              run->id = state->next_run++;
              state->runs[run->id] = run;
            }
            run->started_by = std::to_string(who.user_id);
            // Runs on this I/O thread's pool in the background; GET .../runs/{id} reports progress.
            auto executor = co_await boost::asio::this_coro::executor;
            boost::asio::co_spawn(
                executor,
                run_fleet(ctx.pool, state->apps, run, static_cast<std::size_t>(ctx.config.migrations.jobs)),
                boost::asio::detached);
            co_return Response::json(202, run->to_json());
          };
          const std::string action = "migrations.run", no_tenant;
          const boost::json::object detail;
          co_return co_await audited(ctx, who, action, no_tenant, detail, work);
        },
        {.summary = "Start a fleet migration run", .tags = {"admin"}});
  r.add("GET", "/admin/api/migrations/runs/{id:int}",
        [state](RequestContext& ctx) -> Task<Response> {
          state->auth->require_platform_admin(ctx);
          std::shared_ptr<FleetRun> run;
          {
            std::lock_guard lock(state->runs_mutex);
            auto it = state->runs.find(*ctx.params.get_int("id"));
            if (it != state->runs.end()) run = it->second;
          }
          if (!run) web::fail(404, "not-found", "Not found", "No such migration run.");
          co_return Response::json(200, run->to_json());
        },
        {.summary = "Progress and per-tenant results of a migration run", .tags = {"admin"}});

  r.add("GET", "/admin/api/audit",
        [state](RequestContext& ctx) -> Task<Response> {
          state->auth->require_platform_admin(ctx);
          const auto page = web::Page::from(ctx.request);
          const auto action = ctx.request.query_param("action");
          const auto tenant = ctx.request.query_param("tenant");
          const auto actor = ctx.request.query_param("actor");
          const auto outcome = ctx.request.query_param("outcome");
          const std::string where =
              " WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR tenant_schema = $2) "
              "AND ($3::text IS NULL OR actor_email = $3) AND ($4::text IS NULL OR outcome = $4)";
          const db::Session public_db(ctx.pool);
          auto count = co_await public_db.query("SELECT count(*) FROM audit_log" + where, action, tenant,
                                                actor, outcome);
          auto rows = co_await public_db.query(
              "SELECT id, at::text, actor_email, action, tenant_schema, detail::text, outcome, error FROM "
              "audit_log" +
                  where + " ORDER BY id DESC LIMIT $5 OFFSET $6",
              action, tenant, actor, outcome, page.limit, page.offset);
          boost::json::array results;
          for (auto row : rows) {
            boost::json::object entry{{"id", row.get<std::int64_t>(0)},
                                      {"at", row.get<std::string>(1)},
                                      {"actor", row.get<std::optional<std::string>>(2).value_or("")},
                                      {"action", row.get<std::string>(3)},
                                      {"outcome", row.get<std::string>(6)}};
            entry["tenant"] =
                row.is_null(4) ? boost::json::value(nullptr) : boost::json::value(row.get<std::string>(4));
            entry["detail"] = boost::json::parse(row.text(5));
            entry["error"] =
                row.is_null(7) ? boost::json::value(nullptr) : boost::json::value(row.get<std::string>(7));
            results.push_back(std::move(entry));
          }
          co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
        },
        {.summary = "The audit log (action, tenant, actor, outcome filters)", .tags = {"admin"}});
}

}  // namespace tenantry::apps::admin

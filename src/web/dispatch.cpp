#include <boost/json.hpp>
#include <variant>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/http/problem.hpp"
#include "tenantry/tenancy/errors.hpp"
#include "tenantry/web/constraint_problems.hpp"
#include "web/detail/application_impl.hpp"
#include "web/detail/conditional_requests.hpp"
#include "web/detail/dispatch_problems.hpp"

namespace tenantry::web {

using detail::Dispatched;
using detail::problem;
using namespace detail;  // the problem types of dispatch_problems.hpp
using tenancy::Resolution;

namespace {

http::Problem retry_later(const http::ProblemType<503>& type, std::string detail,
                          std::optional<int> retry_after) {
  http::Problem p = http::make_problem(type, std::move(detail));
  p.retry_after = retry_after;
  return p;
}

/// A statement the database gave up on (a timeout): the request may well succeed a moment later.
http::Problem database_timeout() {
  return retry_later(kDatabaseTimeout, "The database did not answer in time; retry shortly.", 2);
}

/// The database is out of reach (stopped, restarting, refusing connections): a restart takes seconds.
http::Problem database_unavailable() {
  return retry_later(kDatabaseUnavailable, "The database cannot be reached; retry shortly.", 5);
}

/// A tenant whose schema is behind the code's migrations (or whose migration failed): its own requests wait
/// for `tenantry migrate`, the instance stays ready for the others.
http::Response tenant_migrating() {
  // No schema in the detail: see tenant-suspended.
  return http::to_response(retry_later(kTenantMigrating, "This store is being upgraded; retry shortly.", 5));
}

/// A tenant in maintenance: its operator's message, and when to come back.
http::Response in_maintenance(const tenancy::Maintenance& window) {
  return http::to_response(retry_later(
      kTenantMaintenance, window.message.value_or("This store is under maintenance; retry later."),
      window.retry_after_seconds));
}

/// Platform admins still reach a tenant in maintenance, to look at it before they end the window. Checked in
/// memory (the token's signature, expiry and revocation), like every token.
bool from_platform_admin(const auth::AuthService* auth, const http::Request& request) {
  if (auth == nullptr) return false;
  try {
    auth->require_platform_admin(request.header("Authorization"));
    return true;
  } catch (const http::ProblemError&) {
    return false;
  }
}

/// The answer of a request that resolved to no tenant it can serve.
http::Response unserved(Resolution::Kind kind) {
  switch (kind) {
    case Resolution::Kind::kSuspended:
      // The detail names no schema: on a custom domain the schema is an internal name.
      return http::to_response(http::make_problem(kTenantSuspended, "This store is suspended."));
    case Resolution::Kind::kProvisioning:
      return http::to_response(
          retry_later(kTenantProvisioning, "This store is being created; retry shortly.", 2));
    default:
      return http::to_response(http::make_problem(kTenantNotFound, "No tenant is served at this address."));
  }
}

/// One form of every path, as Django's APPEND_SLASH: when the path fails only for its trailing slash (routes
/// have none but the API roots "/api/"), a permanent redirect that keeps the method and body (308) to the
/// form that exists. The Location is a path-absolute reference built from the target as sent, so that it
/// keeps a "/t/<slug>" prefix and the query, and resolves against whatever host and scheme the client used.
std::optional<http::Response> slash_redirect(const RouteTable& table, const http::Request& request) {
  const std::string_view path = request.path;
  const bool has_slash = path.size() > 1 && path.back() == '/';
  const std::string other =
      has_slash ? std::string(path.substr(0, path.size() - 1)) : std::string(path) + "/";
  if (std::holds_alternative<RouteTable::NotFound>(table.match(request.method, other))) return std::nullopt;
  std::string location(request.target_path());
  if (has_slash) {
    if (location.back() != '/') return std::nullopt;  // an encoded "%2F": not a trailing slash as sent
    location.pop_back();
  } else {
    location += '/';
  }
  if (const auto query = request.target.find('?'); query != std::string::npos)
    location += request.target.substr(query);
  auto response = problem(308, "", "Permanent Redirect", "This resource is at " + location + ".");
  response.add_header("Location", location);
  return response;
}

std::optional<auth::Principal> authorize(const Access& access, const RequestContext& ctx,
                                         const auth::AuthService* auth) {
  if (access.kind == Access::Kind::kPublic) return std::nullopt;
  // Application's constructor refuses a table with guarded operations and no AuthService.
  switch (access.kind) {
    case Access::Kind::kSignedIn:
      return auth->authenticate(ctx);
    case Access::Kind::kRole:
      return auth->require(ctx, access.role);
    default:
      return auth->require_platform_admin(ctx);
  }
}

}  // namespace

const auth::Principal& RequestContext::who() const {
  if (!principal) throw std::logic_error("who() on an operation that requires no token");
  return *principal;
}

namespace detail {

http::Response problem(int status, std::string type, std::string title, std::string detail) {
  http::Problem p;
  p.status = status;
  p.type = std::move(type);
  p.title = std::move(title);
  p.detail = std::move(detail);
  return http::to_response(p);
}

}  // namespace detail

// Counted by count_response() once the server has the response, whatever produced it: what this finds out
// (route, tenant, database cost) travels in the request's annotations, which survive a thrown error.
Task<http::Response> Application::Impl::handle(http::Request& request) {
  Dispatched dispatched = co_await dispatch(request);
  request.annotations.route = dispatched.route;
  // Every log line and counter of the request names its tenant, however the handler ended.
  if (dispatched.tenant != nullptr) request.annotations.tenant = dispatched.tenant->schema.str();
  if (dispatched.failure) {
    // A problem is answered here, as the server would, so that a browser app may read it too (CORS); what
    // is unexpected goes on to the server, to be logged and answered 500.
    try {
      std::rethrow_exception(dispatched.failure);
    } catch (const http::ProblemError& e) {
      dispatched.response = http::to_response(e.problem());
    }
  }
  if (const auto origin = request.header("Origin")) cors.decorate(*origin, dispatched.response);
  co_return std::move(dispatched.response);
}

Task<Dispatched> Application::Impl::dispatch(http::Request& request) {
  request.origin = forwarded_origin.of(request);
  // Liveness and readiness answer on every host, tenant or not.
  if (request.path == "/healthz")
    co_return Dispatched{.response = http::Response::json(200, {{"status", "ok"}}), .route = "/healthz"};
  // The authority, not the Host header: an absolute-form target names its own (RFC 9112 §3.2.2).
  Resolution r =
      live_resolver.load(std::memory_order_acquire)
          ->resolve(request.authority, request.header("X-Tenant"), request.path, request.remote_address);
  if (request.path == "/readyz") {
    Dispatched out{.route = "/readyz"};
    try {
      out.response = co_await control_plane_readiness(r.kind == Resolution::Kind::kPublic);
    } catch (...) {
      out.failure = std::current_exception();
    }
    co_return out;
  }
  Dispatched out;
  if (r.kind == Resolution::Kind::kPublic && request.path == "/metrics") {
    // The metrics name tenants, so a tenant's host has no /metrics: there it is a path like any other.
    out.route = "/metrics";
    try {
      out.response = guarded_metrics(request);
    } catch (...) {
      out.failure = std::current_exception();
    }
  } else if (r.kind == Resolution::Kind::kPublic) {
    out = co_await route(routes.public_routes, request, nullptr);
  } else if (r.kind != Resolution::Kind::kTenant) {
    out.response = unserved(r.kind);
  } else {
    if (r.path_prefix > 0) {
      request.path.erase(0, r.path_prefix);
      if (request.path.empty()) request.path = "/";
    }
    // One string comparison: the digest travels with the catalog, no query.
    if (r.tenant->migrations_digest != tenant_plan.digest())
      out.response = tenant_migrating();
    else if (r.tenant->maintenance && !from_platform_admin(routes.auth.get(), request))
      out.response = in_maintenance(*r.tenant->maintenance);
    else
      out = co_await route(routes.tenant_routes, request, r.tenant);
  }
  out.tenant = r.tenant;
  out.catalog = std::move(r.snapshot);
  co_return out;
}

Task<Dispatched> Application::Impl::route(const RouteTable& table, http::Request& request,
                                          const tenancy::Tenant* tenant) {
  Dispatched out;
  auto match = table.match(request.method, request.path);
  if (auto* allowed = std::get_if<RouteTable::MethodNotAllowed>(&match)) {
    const auto origin = request.header("Origin");
    if (request.method == "OPTIONS" && origin && request.header("Access-Control-Request-Method") &&
        cors.allows(*origin)) {
      out.response = cors.preflight(allowed->allow_header());
      co_return out;
    }
    out.response = http::to_response(http::Problem::method_not_allowed(
        "The method " + request.method + " is not allowed on " + request.path + "."));
    out.response.add_header("Allow", allowed->allow_header());
    co_return out;
  }
  auto* found = std::get_if<RouteTable::Found>(&match);
  if (found == nullptr) {
    out.response =
        slash_redirect(table, request)
            .value_or(http::to_response(http::Problem::not_found("No route for " + request.path + ".")));
    co_return out;
  }
  out.route = found->route_template();
  const bool change = request.method == "PUT" || request.method == "PATCH" || request.method == "DELETE";
  if (change && request.header("If-Match")) {
    std::optional<http::Response> refused = co_await precondition_failure(table, request, tenant);
    if (refused) {
      out.response = std::move(*refused);
      co_return out;
    }
  }
  try {
    const std::size_t here = co_await current_thread();
    const std::size_t owner = owner_thread(tenant, here);
    if (owner == here) {
      out.response = co_await run_handler(*found, request, tenant, here);
    } else {
      // Another thread serves this tenant: run the handler there, with that thread's pool, so that each
      // tenant's statements keep to the same backends however the kernel spread the client connections over
      // the threads. With thousands of tenants this halves (with 2 threads) the catalog caches each backend
      // must build.
      auto task = run_handler(*found, request, tenant, owner);
      auto on_owner = on_thread(owner, std::move(task));
      out.response = co_await std::move(on_owner);
    }
  } catch (...) {
    out.failure = std::current_exception();
  }
  if (!out.failure) detail::tag_representation(request, out.response);
  co_return out;
}

Task<std::optional<http::Response>> Application::Impl::precondition_failure(const RouteTable& table,
                                                                            const http::Request& request,
                                                                            const tenancy::Tenant* tenant) {
  http::Request current = request;
  current.method = "GET";
  current.body.clear();
  Dispatched shown = co_await route(table, current, tenant);
  // No representation to compare (gone, not readable, no GET): the change itself answers. A 304 (the change
  // also sent If-None-Match) still carries the current tag.
  if (shown.failure || (shown.response.status != 200 && shown.response.status != 304)) co_return std::nullopt;
  const auto tag = shown.response.header("ETag");
  if (tag && detail::match_hits(*request.header("If-Match"), *tag)) co_return std::nullopt;
  co_return http::to_response(http::make_problem(
      kPreconditionFailed,
      "The resource changed since it was read (If-Match); read it again and redo the change."));
}

Task<http::Response> Application::Impl::run_handler(const RouteTable::Found& found, http::Request& request,
                                                    const tenancy::Tenant* tenant, std::size_t thread) {
  db::Pool& pool = *pools[thread].second;
  // The pool's gauges, from the thread that owns it, however the handler ends.
  struct PublishPool {
    Impl& app;
    std::size_t thread;
    ~PublishPool() { app.metrics->publish_pool(thread, app.pools[thread].second->stats()); }
  } publish{*this, thread};
  // The configuration as of the request's start: a reload meanwhile does not change it under the handler.
  const Config& live = *live_config.load(std::memory_order_acquire);
  // The database cost of the request's own session, handed to the request once, however the handler ends.
  struct RecordCost {
    http::Request& request;
    db::QueryCost cost;
    ~RecordCost() {
      request.annotations.db_time += cost.time;
      request.annotations.db_rows += cost.rows;
      request.annotations.db_statements += cost.statements;
    }
  } cost{request, {}};
  RequestContext context{
      request,
      found.params,
      tenant,
      db::Session(pool, tenant ? tenant->schema : db::SchemaName::public_schema(), &cost.cost),
      db::Session(pool, db::SchemaName::public_schema(), &cost.cost),
      live,
      pool,
      *owner_pools[thread],
      directory,
      *metrics};
  // Errors that mean the same whatever the handler: mapped here once.
  std::optional<http::Problem> failure;
  std::exception_ptr missing_relation;
  try {
    // The declaration's checks, before the handler: who calls (401/403 first), then what was sent (400).
    context.principal = authorize(found.handler->operation.access, context, routes.auth.get());
    const Operation& operation = found.handler->operation;
    ValidatedInput input = validate_input(operation, request);
    context.query = std::move(input.query);
    context.body = std::move(input.body);
    if (operation.check) co_await operation.check(context, input.errors);
    if (!input.errors.empty()) throw http::Invalid(std::move(input.errors));
    co_return co_await found.handler->handler(context);
  } catch (const db::UndefinedTable&) {
    missing_relation = std::current_exception();
  } catch (const db::InvalidSchemaName&) {
    missing_relation = std::current_exception();
  } catch (const db::UndefinedObject&) {
    missing_relation = std::current_exception();  // e.g. the tenant's role, gone with its schema
  } catch (const ValidationError& e) {
    failure = http::Problem::validation({{e.field(), e.what()}}, e.what());
  } catch (const tenancy::TenantNotFound& e) {
    failure = http::Problem::not_found(e.what());
  } catch (const tenancy::TenantConflict& e) {
    failure = http::Problem::conflict(e.what());
  } catch (const db::IntegrityConstraintViolation& e) {
    failure = constraint_problem(e, routes.constraint_problems);  // the apps' constraint → problem tables
    if (!failure) throw;
  } catch (const db::PoolTimeout& e) {
    failure = retry_later(kDatabaseBusy, "Try again shortly.", std::nullopt);
  } catch (const db::QueryCanceled&) {
    failure = database_timeout();  // database.statement_timeout_ms, or a cancel by an operator
  } catch (const db::LockNotAvailable&) {
    failure = database_timeout();  // database.lock_timeout_ms: e.g. a migration holds the table
  } catch (const db::Error& e) {
    // Down, restarting, out of connections: the request may succeed in a moment. The outage is logged once
    // (by the monitor), not as one error line per request.
    if (!db::is_database_unavailable(e)) throw;
    outage.failed(e.what());
    failure = database_unavailable();
  }
  if (missing_relation) co_return co_await vanished_schema(tenant, pool, missing_relation);
  co_return http::to_response(*failure);
}

// A tenant dropped (or renamed) by another process is still in this process's catalog until its NOTIFY
// arrives: its requests then fail on missing tables. That is the tenant being unavailable, not a bug, unless
// the schema is there (then the error is the handler's and stays a 500).
Task<http::Response> Application::Impl::vanished_schema(const tenancy::Tenant* tenant, db::Pool& pool,
                                                        std::exception_ptr error) {
  bool schema_exists = true;
  if (tenant != nullptr) {
    const db::Session public_db(pool);
    schema_exists =
        !(co_await public_db.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", tenant->schema)).empty();
  }
  if (schema_exists) std::rethrow_exception(error);
  // No schema in the detail: see tenant-suspended.
  co_return http::to_response(
      retry_later(kTenantUnavailable, "This store is being changed or removed; retry shortly.", 2));
}

}  // namespace tenantry::web

#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "tenantry/auth/principal.hpp"
#include "tenantry/core/config.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/http/path_params.hpp"
#include "tenantry/http/request.hpp"
#include "tenantry/http/response.hpp"
#include "tenantry/http/router.hpp"
#include "tenantry/tenancy/tenant.hpp"
#include "tenantry/web/constraint_problems.hpp"
#include "tenantry/web/metrics.hpp"
#include "tenantry/web/operation.hpp"

namespace boost::asio {
class io_context;
}
namespace tenantry::tenancy {
class TenantDirectory;
}
namespace tenantry::auth {
class AuthService;
}

namespace tenantry::web {

/// What a route handler works with. The tenant travels with the request (not in a thread-local), and `db`
/// runs every statement in the tenant's schema (or in public on public routes).
struct RequestContext {
  http::Request& request;
  const http::PathParams& params;
  /// The resolved tenant on tenant routes; null on public routes.
  const tenancy::Tenant* tenant;
  /// Its statements (and those of copies and transactions of it) count as the request's database cost in
  /// /metrics; use it, or copies of it, only while the handler runs (background work makes its own Session).
  db::Session db;
  /// The same in public, as the request pools' own role, also on tenant routes: for the shared tables a
  /// tenant role may not touch (accounts, passwords, throttles, tokens). Counted like `db`.
  db::Session public_db;
  const Config& config;
  /// This I/O thread's pool, for work outside the tenant's schema (a Session on it runs in public, as the
  /// request pools' role).
  db::Pool& pool;
  /// The owner's pool of this I/O thread: for what creates, renames, clones or drops schemas (provisioning,
  /// migrations). The request pools' role has no DDL rights.
  db::Pool& owner_pool;
  /// The in-memory catalog; load() it after changing the catalog so this process sees the change at once
  /// (others follow through NOTIFY).
  tenancy::TenantDirectory& tenants;
  /// Request counters (e.g. a tenant's recent request rate for the admin console).
  const Metrics& metrics;
  /// The caller, checked against the operation's Access before the handler runs (none on public operations).
  std::optional<auth::Principal> principal = std::nullopt;
  /// The query parameters and the JSON body, validated against the operation's declaration.
  Input query = {};
  Input body = {};

  /// The caller of an operation that requires a token.
  const auth::Principal& who() const;
};

using RouteHandler = std::function<Task<http::Response>(RequestContext&)>;

/// A route's handler with its declaration (see Operation).
struct Endpoint {
  RouteHandler handler;
  Operation operation;
};

/// A route table of the web layer: each route is registered with its declaration next to its handler.
class RouteTable : public http::Router<Endpoint> {
 public:
  RouteTable& add(std::string method, std::string_view path_template, RouteHandler handler,
                  Operation operation) {
    Router::add(std::move(method), path_template, Endpoint{std::move(handler), std::move(operation)});
    return *this;
  }
  /// What the operations tagged `tag` are about, for the document's tag list.
  void describe_tag(std::string tag, std::string description) {
    tags_[std::move(tag)] = std::move(description);
  }
  const std::map<std::string, std::string>& tag_descriptions() const noexcept { return tags_; }

 private:
  std::map<std::string, std::string> tags_;
};

/// The two route tables, like Django's urls_public and urls_tenant: public routes are served on the public
/// hosts, tenant routes once a tenant is resolved. Apps register into one or the other.
struct Routes {
  RouteTable public_routes;
  RouteTable tenant_routes;
  /// Checks the tokens of operations that are not public (Operation::access).
  std::shared_ptr<const auth::AuthService> auth;
  /// Run once before the server accepts requests (e.g. load keys into memory).
  std::vector<std::function<Task<void>(db::Pool&)>> on_start;
  /// How violations of the apps' constraints answer (see ConstraintProblem), from every app's table.
  std::vector<ConstraintProblem> constraint_problems;
  void add_constraint_problems(std::span<const ConstraintProblem> table) {
    constraint_problems.insert(constraint_problems.end(), table.begin(), table.end());
  }
  /// Run on I/O thread 0 while the server runs (e.g. LISTEN for changes); they end with the server.
  std::vector<std::function<Task<void>(boost::asio::io_context&, db::Pool&)>> watchers;
};

}  // namespace tenantry::web

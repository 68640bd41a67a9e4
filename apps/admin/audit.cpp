#include "apps/admin/audit.hpp"

#include <boost/json.hpp>

#include "tenantry/db/session.hpp"
#include "tenantry/http/problem.hpp"

namespace tenantry::apps::admin {

using auth::Principal;
using http::Response;
using web::RequestContext;

namespace {

std::string error_text(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const http::ProblemError& e) {
    return e.problem().detail.empty() ? e.problem().title : e.problem().detail;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace

Task<Response> audited(RequestContext& ctx, const Principal& who, const std::string& action,
                       const std::string& tenant, const boost::json::object& detail,
                       const std::function<Task<Response>()>& work) {
  std::exception_ptr failure;
  std::optional<Response> response;
  try {
    response = co_await work();
  } catch (...) {
    failure = std::current_exception();
  }
  const bool ok = !failure && response->status < 400;
  const std::string error = failure ? error_text(failure) : (ok ? std::string() : response->body);
  std::optional<std::string> tenant_column, error_column;
  if (!tenant.empty()) tenant_column = tenant;
  if (!error.empty()) error_column = error;
  const std::string outcome = ok ? "ok" : "error";
  const std::string detail_json = boost::json::serialize(detail);
  const db::Session public_db(ctx.pool);
  co_await public_db.query(
      "INSERT INTO audit_log (actor_user_id, actor_email, action, tenant_schema, detail, outcome, error) "
      "SELECT $1, (SELECT email FROM users WHERE id = $1), $2, $3, $4::jsonb, $5, $6",
      who.user_id, action, tenant_column, detail_json, outcome, error_column);
  if (failure) std::rethrow_exception(failure);
  co_return std::move(*response);
}

void audited_route(web::RouteTable& routes, std::string method, std::string_view path, std::string action,
                   AuditedPrepare prepare, web::Operation operation) {
  operation.access = web::Access::platform_admin();
  routes.add(
      std::move(method), path,
      [action = std::move(action), prepare = std::move(prepare)](RequestContext& ctx) -> Task<Response> {
        const Principal& who = ctx.who();
        const AuditedWork audit = co_await prepare(ctx, who);
        co_return co_await audited(ctx, who, action, audit.tenant, audit.detail, audit.work);
      },
      std::move(operation));
}

}  // namespace tenantry::apps::admin

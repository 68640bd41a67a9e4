#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/http/response.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::admin {

/// Runs `work` and writes one audit entry with its outcome, whether it succeeds, answers 4xx or throws.
/// Arguments by reference: callers pass named values (the coroutine rule, tenantry/core/task.hpp).
Task<http::Response> audited(web::RequestContext& ctx, const auth::Principal& who, const std::string& action,
                             const std::string& tenant, const boost::json::object& detail,
                             const std::function<Task<http::Response>()>& work);

/// What an audited request records (the tenant schema acted on, empty for none, and details) and the work.
struct AuditedWork {
  std::string tenant;
  boost::json::object detail;
  std::function<Task<http::Response>()> work;
};

/// Reads an audited request once the caller is known to be a platform admin and its input is valid: a
/// request its declaration refuses (401, 403, 400: a malformed body, an unknown plan) is answered without an
/// audit entry, as is what fails here. The work it returns must capture by value.
using AuditedPrepare = std::function<Task<AuditedWork>(web::RequestContext& ctx, const auth::Principal& who)>;

/// Adds an audited platform-admin route: the skeleton of every admin change (dispatch checks the platform
/// admin, as `operation` then declares; prepare, then run the work through audited() under `action`).
void audited_route(web::RouteTable& routes, std::string method, std::string_view path, std::string action,
                   AuditedPrepare prepare, web::Operation operation);

/// The platform's users under /admin/api/users: list, disable, enable, grant or take platform-admin rights.
void register_user_routes(web::RouteTable& routes, std::shared_ptr<auth::AuthService> auth);

}  // namespace tenantry::apps::admin

#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "tenantry/auth/auth_service.hpp"
#include "tenantry/http/response.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::apps::admin {

/// Runs `work` and writes one audit entry with its outcome, whether it succeeds, answers 4xx or throws.
/// Arguments by reference: callers pass named values (GCC 12 mishandles class temporaries in co_await).
Task<http::Response> audited(web::RequestContext& ctx, const auth::Principal& who, const std::string& action,
                             const std::string& tenant, const boost::json::object& detail,
                             const std::function<Task<http::Response>()>& work);

/// The platform's users under /admin/api/users: list, disable, enable, grant or take platform-admin rights.
void register_user_routes(web::RouteTable& routes, std::shared_ptr<auth::AuthService> auth);

}  // namespace tenantry::apps::admin

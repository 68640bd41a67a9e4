#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "tenantry/web/request_context.hpp"

namespace tenantry::web {

/// The OpenAPI 3.1 document of one route table, generated from each route's Operation: the same declaration
/// that dispatch enforces (access, parameters, body schema), so the document cannot drift from the server.
/// `tenant_api`: the table of tenant routes (their tenant-resolution problems are documented too).
boost::json::object openapi_document(const RouteTable& table, const std::string& title, bool tenant_api);

/// The serialised `document` with `servers` set to the one address it was read from.
std::string with_server(const std::string& document, std::string_view server_url);

/// The OpenAPI path of a route template: "/api/products/{id:int}" → "/api/products/{id}".
std::string openapi_path(std::string_view path_template);

}  // namespace tenantry::web

#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "tenantry/web/request_context.hpp"

namespace tenantry::web {

/// An OpenAPI 3.1 document of one route table, generated from the same declarations the router matches
/// (path templates, typed path parameters, RouteInfo), so the documentation cannot drift from the routes.
boost::json::object openapi_document(const RouteTable& table, const std::string& title);

/// The OpenAPI path of a route template: "/api/products/{id:int}" → "/api/products/{id}".
std::string openapi_path(std::string_view path_template);

}  // namespace tenantry::web

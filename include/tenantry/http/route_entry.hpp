#pragma once

#include <string>
#include <vector>

namespace tenantry::http {

/// Documentation of a route, for the OpenAPI generator; the router itself ignores it.
struct RouteInfo {
  std::string summary;
  std::string description;
  std::vector<std::string> tags;
  std::string operation_id;
  bool deprecated = false;
};

/// The kind of value a path placeholder accepts.
enum class PathParamType {
  /// `{name}`: any one non-empty segment.
  string,
  /// `{name:int}`: a non-negative 64-bit integer in decimal digits.
  integer,
};

/// One `{name}` placeholder of a route template.
struct PathParamSpec {
  std::string name;
  PathParamType type = PathParamType::string;
};

/// A registered route as listed by Router::routes().
struct RouteEntry {
  std::string method;
  /// As given to add(), e.g. "/api/products/{id:int}".
  std::string path_template;
  /// The placeholders in template order.
  std::vector<PathParamSpec> params;
  RouteInfo info;
};

}  // namespace tenantry::http

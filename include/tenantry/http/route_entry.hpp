#pragma once

#include <string>
#include <vector>

namespace tenantry::http {

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
};

}  // namespace tenantry::http

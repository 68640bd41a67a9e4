#include "tenantry/web/openapi.hpp"

#include <boost/json.hpp>

namespace tenantry::web {

std::string openapi_path(std::string_view path_template) {
  std::string out;
  for (std::size_t i = 0; i < path_template.size(); ++i) {
    if (path_template[i] == ':' && out.rfind('{') != std::string::npos &&
        out.find('}', out.rfind('{')) == std::string::npos) {
      i = path_template.find('}', i) - 1;  // drop ":int" up to the closing brace
      continue;
    }
    out += path_template[i];
  }
  return out;
}

namespace {

std::string operation_id(const http::RouteEntry& route) {
  if (!route.info.operation_id.empty()) return route.info.operation_id;
  std::string id;
  for (char c : route.method) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool upper = true;
  for (char c : openapi_path(route.path_template)) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    } else {
      upper = true;
    }
  }
  return id;
}

boost::json::object problem_response(const char* description) {
  return {
      {"description", description},
      {"content", {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

}  // namespace

boost::json::object openapi_document(const RouteTable& table, const std::string& title) {
  boost::json::object paths;
  for (const http::RouteEntry& route : table.routes()) {
    boost::json::object operation;
    if (!route.info.summary.empty()) operation["summary"] = route.info.summary;
    if (!route.info.description.empty()) operation["description"] = route.info.description;
    if (!route.info.tags.empty()) {
      boost::json::array tags;
      for (const auto& t : route.info.tags) tags.push_back(boost::json::value(t));
      operation["tags"] = std::move(tags);
    }
    if (route.info.deprecated) operation["deprecated"] = true;
    operation["operationId"] = operation_id(route);
    boost::json::array parameters;
    for (const auto& p : route.params) {
      boost::json::object schema{{"type", p.type == http::PathParamType::integer ? "integer" : "string"}};
      if (p.type == http::PathParamType::integer) schema["minimum"] = 0;
      parameters.push_back(
          {{"name", p.name}, {"in", "path"}, {"required", true}, {"schema", std::move(schema)}});
    }
    if (!parameters.empty()) operation["parameters"] = std::move(parameters);
    if (route.method == "POST" || route.method == "PUT" || route.method == "PATCH")
      operation["requestBody"] = {{"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    operation["responses"] = {{"2XX",
                               {{"description", "Success"},
                                {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
                              {"4XX", problem_response("Client error (RFC 9457 problem details)")},
                              {"5XX", problem_response("Server error, with the request id to quote")}};
    std::string method;
    for (char c : route.method) method += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& path = paths[openapi_path(route.path_template)];
    if (!path.is_object()) path = boost::json::object{};
    path.as_object()[method] = std::move(operation);
  }
  auto problem_schema = boost::json::parse(R"({
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
      "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
      "detail": {"type": "string"}, "request_id": {"type": "string"},
      "errors": {"type": "array", "items": {"type": "object",
                 "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
    }
  })");
  return {{"openapi", "3.1.0"},
          {"info", {{"title", title}, {"version", "0.1.0"}}},
          {"paths", std::move(paths)},
          {"components",
           {{"schemas", {{"Problem", std::move(problem_schema)}}},
            {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"security", boost::json::array{boost::json::object{{"bearer", boost::json::array{}}}}}};
}

}  // namespace tenantry::web

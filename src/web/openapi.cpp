#include "tenantry/web/openapi.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "web/detail/dispatch_problems.hpp"

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

namespace json = boost::json;
using namespace http::problem_types;

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string operation_id(const http::RouteEntry& route, const Operation& op) {
  if (!op.operation_id.empty()) return op.operation_id;
  std::string id = lower(route.method);
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

json::object parameter_json(const Parameter& p, const char* in, bool required, json::object& components) {
  json::object out{
      {"name", p.name}, {"in", in}, {"required", required}, {"schema", p.schema.to_json(components)}};
  if (!p.description.empty()) out["description"] = p.description;
  return out;
}

/// The path placeholders: their type from the template, their description and example from the declaration.
json::array path_parameters(const http::RouteEntry& route, const Operation& op, json::object& components) {
  json::array out;
  for (const auto& spec : route.params) {
    const auto declared =
        std::find_if(op.path.begin(), op.path.end(), [&](const Parameter& p) { return p.name == spec.name; });
    Parameter p = declared != op.path.end() ? *declared : Parameter{spec.name, Schema::string(1)};
    if (declared == op.path.end() && spec.type == http::PathParamType::integer)
      p.schema = Schema::integer(0).example(1);
    json::object parameter = parameter_json(p, "path", true, components);
    if (const auto* examples = parameter["schema"].as_object().if_contains("examples"))
      parameter["example"] = examples->as_array().front();
    else
      parameter["example"] =
          spec.type == http::PathParamType::integer ? json::value(1) : json::value(spec.name);
    out.push_back(std::move(parameter));
  }
  return out;
}

/// The page envelope every list shares, with `item` as its results.
json::value page_json(const Schema& item, json::object& components) {
  if (!components.contains("Page")) {
    components["Page"] = {
        {"type", "object"},
        {"description", "A page of a list (limit/offset), as Django REST Framework's LimitOffsetPagination."},
        {"required", {"count", "next", "previous", "results"}},
        {"properties",
         {{"count", {{"type", "integer"}, {"minimum", 0}, {"description", "Results in the whole list."}}},
          {"next", {{"type", {"string", "null"}}, {"format", "uri"}, {"description", "The next page."}}},
          {"previous",
           {{"type", {"string", "null"}}, {"format", "uri"}, {"description", "The page before."}}},
          {"results", {{"type", "array"}}}}}};
  }
  return {{"allOf",
           {{{"$ref", "#/components/schemas/Page"}},
            {{"type", "object"},
             {"properties", {{"results", {{"type", "array"}, {"items", item.to_json(components)}}}}}}}}};
}

/// Every problem the operation can answer, by status: the declared ones and those its kind implies.
std::map<int, std::vector<ProblemRef>> problems_of(const http::RouteEntry& route, const Operation& op,
                                                   bool tenant_api) {
  std::vector<ProblemRef> all = op.problems;
  if (op.body) {
    all.push_back(detail::kInvalidJson);
    all.push_back(http::ProblemType<413>{"content-too-large", "Content too large"});
  }
  // Every operation refuses query parameters it does not declare; path placeholders are checked too.
  all.push_back(kInvalidInput);
  if (op.access.kind != Access::Kind::kPublic) all.push_back(kNotAuthenticated);
  if (op.access.kind == Access::Kind::kRole) all.push_back(kPermissionDenied);
  if (!route.params.empty()) all.push_back(kNotFound);
  if (route.method == "PUT" || route.method == "PATCH" || route.method == "DELETE")
    all.push_back(detail::kPreconditionFailed);
  if (tenant_api) {
    all.push_back(kBadRequest);  // a Host that is no hostname
    for (ProblemRef p : {ProblemRef(detail::kTenantSuspended), ProblemRef(detail::kTenantNotFound),
                         ProblemRef(detail::kTenantMigrating), ProblemRef(detail::kTenantMaintenance),
                         ProblemRef(detail::kTenantUnavailable), ProblemRef(detail::kTenantProvisioning)})
      all.push_back(p);
  }
  for (ProblemRef p : {ProblemRef(detail::kDatabaseTimeout), ProblemRef(detail::kDatabaseUnavailable),
                       ProblemRef(detail::kDatabaseBusy), ProblemRef(kInternalError)})
    all.push_back(p);
  std::map<int, std::vector<ProblemRef>> by_status;
  for (const ProblemRef& p : all) {
    auto& list = by_status[p.status];
    if (std::none_of(list.begin(), list.end(), [&](const ProblemRef& q) { return q.slug == p.slug; }))
      list.push_back(p);
  }
  return by_status;
}

json::object problem_response(const std::vector<ProblemRef>& problems) {
  std::string description;
  json::array types;
  for (const ProblemRef& p : problems) {
    description +=
        (description.empty() ? "" : "; ") + std::string(p.title) + " (" + std::string(p.slug) + ")";
    types.push_back(json::string(std::string(http::kProblemTypeBase) + std::string(p.slug)));
  }
  json::object schema{{"allOf",
                       {{{"$ref", "#/components/schemas/Problem"}},
                        {{"type", "object"}, {"properties", {{"type", {{"enum", std::move(types)}}}}}}}}};
  return {{"description", description},
          {"content", {{"application/problem+json", {{"schema", std::move(schema)}}}}}};
}

json::object responses(const http::RouteEntry& route, const Operation& op, bool tenant_api,
                       json::object& components) {
  json::object out;
  if (op.page_of)
    out["200"] = {{"description", "A page of the list"},
                  {"content", {{"application/json", {{"schema", page_json(*op.page_of, components)}}}}}};
  for (const Reply& reply : op.replies) {
    json::object response{{"description", reply.description.empty() ? "Success" : reply.description}};
    if (reply.body)
      response["content"] = {{reply.content_type, {{"schema", reply.body->to_json(components)}}}};
    out[std::to_string(reply.status)] = std::move(response);
  }
  // Every JSON GET answers If-None-Match (conditional_requests.cpp).
  if (route.method == "GET" && out.contains("200"))
    out["304"] = {
        {"description", "Not modified: the representation still has the ETag sent in If-None-Match"}};
  for (const auto& [status, problems] : problems_of(route, op, tenant_api))
    out[std::to_string(status)] = problem_response(problems);
  return out;
}

json::value security(const Operation& op) {
  if (op.access.kind == Access::Kind::kPublic) return json::array{};  // no token read
  return json::array{json::object{{"bearer", json::array{}}}};
}

json::object operation_json(const http::RouteEntry& route, const Operation& op, bool tenant_api,
                            json::object& components) {
  json::object out{{"operationId", operation_id(route, op)}, {"summary", op.summary}};
  if (!op.description.empty()) out["description"] = op.description;
  if (!op.tags.empty()) out["tags"] = json::array(op.tags.begin(), op.tags.end());
  out["security"] = security(op);
  json::array parameters = path_parameters(route, op, components);
  for (const Parameter& p : op.query)
    parameters.push_back(parameter_json(p, "query", p.required, components));
  if (op.page_of)
    for (const Parameter& p : page_parameters())
      parameters.push_back(parameter_json(p, "query", false, components));
  if (!parameters.empty()) out["parameters"] = std::move(parameters);
  if (op.body)
    out["requestBody"] = {{"required", op.body_required},
                          {"content", {{"application/json", {{"schema", op.body->to_json(components)}}}}}};
  out["responses"] = responses(route, op, tenant_api, components);
  return out;
}

json::value problem_schema() {
  return json::parse(R"({
    "type": "object",
    "description": "RFC 9457 problem details: the body of every error answer.",
    "required": ["type", "title", "status"],
    "properties": {
      "type": {"type": "string", "format": "uri", "description": "Stable identifier to match on."},
      "title": {"type": "string"},
      "status": {"type": "integer"},
      "detail": {"type": "string"},
      "request_id": {"type": "string", "description": "Quote it to support."},
      "errors": {"type": "array", "description": "The invalid fields, every one at once.",
                 "items": {"type": "object", "required": ["field", "message"],
                           "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
    }
  })");
}

}  // namespace

json::object openapi_document(const RouteTable& table, const std::string& title, bool tenant_api) {
  json::object paths;
  json::object components{{"Problem", problem_schema()}};
  std::vector<std::string> tags;
  const auto& routes = table.routes();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const Operation& op = table.handler(i).operation;
    if (op.undocumented) continue;
    for (const auto& tag : op.tags)
      if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
    auto& path = paths[openapi_path(routes[i].path_template)];
    if (!path.is_object()) path = json::object{};
    path.as_object()[lower(routes[i].method)] = operation_json(routes[i], op, tenant_api, components);
  }
  json::array tag_list;
  std::sort(tags.begin(), tags.end());
  for (const auto& tag : tags) {
    json::object entry{{"name", tag}};
    const auto described = table.tag_descriptions().find(tag);
    if (described != table.tag_descriptions().end()) entry["description"] = described->second;
    tag_list.push_back(std::move(entry));
  }
  const char* description =
      tenant_api ? "A store's API: served on the store's own host (or under /t/<slug> on a "
                   "public host). A token is worth something on the store it was issued for only."
                 : "The platform's public API: signup, and the platform admin API under /admin/api.";
  return {{"openapi", "3.1.0"},
          {"info", {{"title", title}, {"version", "0.2.0"}, {"description", description}}},
          {"tags", std::move(tag_list)},
          {"paths", std::move(paths)},
          {"components",
           {{"schemas", std::move(components)},
            {"securitySchemes",
             {{"bearer",
               {{"type", "http"},
                {"scheme", "bearer"},
                {"description",
                 "A token from the login of this API (a store's, or the platform admin's)."}}}}}}}};
}

std::string with_server(const std::string& document, std::string_view server_url) {
  // The servers entry is the address the document was read from, which a stored document cannot know: it is
  // spliced in front of the prebuilt document's members, so the rest is serialised once at startup.
  json::object server{{"url", server_url}};
  return R"({"servers":[)" + json::serialize(server) + "]," + document.substr(1);
}

}  // namespace tenantry::web

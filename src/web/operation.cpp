#include "tenantry/web/operation.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

namespace tenantry::web {

namespace {

constexpr http::ProblemType<400> kInvalidJson{"invalid-json", "Invalid JSON"};

const Parameter* find_parameter(const Operation& operation, std::string_view name) {
  for (const auto* list : {&operation.query, operation.page_of ? &page_parameters() : nullptr}) {
    if (list == nullptr) continue;
    for (const Parameter& p : *list)
      if (p.name == name) return &p;
  }
  return nullptr;
}

boost::json::object read_query(const Operation& operation, const http::Request& request,
                               std::vector<http::FieldError>& errors) {
  boost::json::object values;
  for (const Parameter& p : operation.query)
    if (p.required && !request.query_param(p.name)) errors.push_back({p.name, "This parameter is required."});
  for (const auto& [name, text] : request.query) {
    const Parameter* parameter = find_parameter(operation, name);
    if (parameter == nullptr) {
      // A misspelt filter is an error, not a silently unfiltered list.
      errors.push_back({name, "Unknown query parameter."});
    } else if (values.contains(name)) {
      errors.push_back({name, "Give this parameter once."});
    } else if (auto value = parameter->schema.parse_query(name, text, errors)) {
      values[name] = std::move(*value);
    }
  }
  return values;
}

boost::json::object read_body(const Operation& operation, const http::Request& request,
                              std::vector<http::FieldError>& errors) {
  if (!operation.body) return {};
  if (request.body.empty() && !operation.body_required) return {};
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(request.body, ec);
  if (ec) throw http::BadRequest(kInvalidJson, "The body must be a JSON object.");
  if (!body.is_object()) throw http::BadRequest(kInvalidJson, "The body must be a JSON object.");
  operation.body->validate(body, "", errors);
  return std::move(body.as_object());
}

}  // namespace

bool Input::is_null(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  return v != nullptr && v->is_null();
}

std::optional<std::string> Input::string(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<std::int64_t> Input::integer(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());  // validated within bounds
  return std::nullopt;
}

std::optional<bool> Input::boolean(std::string_view name) const {
  const auto* v = values_.if_contains(name);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->as_bool();
}

ValidatedInput validate_input(const Operation& operation, const http::Request& request) {
  ValidatedInput input;
  input.query = Input(read_query(operation, request, input.errors));
  input.body = Input(read_body(operation, request, input.errors));
  return input;
}

const std::vector<Parameter>& page_parameters() {
  static const std::vector<Parameter> parameters{
      {"limit", Schema::integer(1, 100), "How many results per page (default 20)."},
      {"offset", Schema::integer(0), "How many results to skip (default 0)."}};
  return parameters;
}

}  // namespace tenantry::web

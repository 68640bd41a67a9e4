#include "tenantry/http/problem.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tenantry::http {

namespace json = boost::json;

namespace {
Problem make(int status, const char* slug, const char* title, std::string detail) {
  Problem p;
  p.type = slug;
  p.title = title;
  p.status = status;
  p.detail = std::move(detail);
  return p;
}
}  // namespace

Problem Problem::bad_request(std::string detail) {
  return make(400, "bad-request", "Bad Request", std::move(detail));
}
Problem Problem::not_found(std::string detail) {
  return make(404, "not-found", "Not Found", std::move(detail));
}
Problem Problem::method_not_allowed(std::string detail) {
  return make(405, "method-not-allowed", "Method Not Allowed", std::move(detail));
}
Problem Problem::conflict(std::string detail) {
  return make(409, "conflict", "Conflict", std::move(detail));
}
Problem Problem::validation(std::vector<FieldError> errors, std::string detail) {
  Problem p = make(422, "validation-failed", "Validation Failed",
                   detail.empty() ? std::string("The request has invalid fields.") : std::move(detail));
  p.errors = std::move(errors);
  return p;
}
Problem Problem::internal(std::string_view request_id) {
  Problem p = make(500, "internal-error", "Internal Server Error",
                   "An unexpected error occurred. Quote the request id when reporting it.");
  p.extra["request_id"] = request_id;
  return p;
}

json::object to_json(const Problem& problem) {
  json::object o;
  o["type"] =
      problem.type.empty() ? std::string("about:blank") : std::string(kProblemTypeBase) + problem.type;
  o["title"] = problem.title;
  o["status"] = problem.status;
  if (!problem.detail.empty()) o["detail"] = problem.detail;
  if (!problem.errors.empty()) {
    json::array errors;
    errors.reserve(problem.errors.size());
    for (const FieldError& e : problem.errors)
      errors.push_back(json::object{{"field", e.field}, {"message", e.message}});
    o["errors"] = std::move(errors);
  }
  for (const auto& member : problem.extra) {
    if (!o.contains(member.key())) o.insert(member);
  }
  return o;
}

Response to_response(const Problem& problem) {
  Response r;
  r.status = problem.status;
  r.content_type = "application/problem+json";
  r.body = json::serialize(to_json(problem));
  if (problem.retry_after) r.add_header("Retry-After", std::to_string(*problem.retry_after));
  return r;
}

ProblemError::ProblemError(Problem problem) : problem_(std::move(problem)) {
  what_ = std::to_string(problem_.status) + " " + problem_.title;
  if (!problem_.detail.empty()) what_ += ": " + problem_.detail;
}

}  // namespace tenantry::http

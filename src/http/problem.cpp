#include "tenantry/http/problem.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tenantry::http {

namespace json = boost::json;

namespace types = problem_types;

Problem Problem::bad_request(std::string detail) {
  return make_problem(types::kBadRequest, std::move(detail));
}
Problem Problem::not_found(std::string detail) {
  return make_problem(types::kNotFound, std::move(detail));
}
Problem Problem::method_not_allowed(std::string detail) {
  return make_problem(types::kMethodNotAllowed, std::move(detail));
}
Problem Problem::conflict(std::string detail) {
  return make_problem(types::kConflict, std::move(detail));
}
Problem Problem::validation(std::vector<FieldError> errors, std::string detail) {
  Problem p =
      make_problem(types::kInvalidInput,
                   detail.empty() ? std::string("The request has invalid fields.") : std::move(detail));
  p.errors = std::move(errors);
  return p;
}
Problem Problem::internal(std::string_view request_id) {
  return make_problem(types::kInternalError,
                      "An unexpected error occurred. Quote the request id when reporting it.",
                      {{"request_id", request_id}});
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

namespace {
Problem invalid_input(std::vector<FieldError> errors) {
  std::string detail = errors.size() == 1 ? errors[0].field + ": " + errors[0].message
                                          : std::to_string(errors.size()) + " fields are invalid.";
  Problem p = make_problem(types::kInvalidInput, std::move(detail));
  p.errors = std::move(errors);
  return p;
}

Problem too_many_requests(std::string detail, int retry_after) {
  Problem p = make_problem(types::kTooManyRequests, std::move(detail));
  p.retry_after = retry_after;
  return p;
}
}  // namespace

Invalid::Invalid(std::vector<FieldError> errors) : ProblemError(invalid_input(std::move(errors))) {}
Invalid::Invalid(std::string field, std::string message)
    : Invalid(std::vector<FieldError>{{std::move(field), std::move(message)}}) {}

TooManyRequests::TooManyRequests(std::string detail, int retry_after_seconds)
    : ProblemError(too_many_requests(std::move(detail), retry_after_seconds)) {}

}  // namespace tenantry::http

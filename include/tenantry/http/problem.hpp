#pragma once

#include <boost/json/object.hpp>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/http/response.hpp"

namespace tenantry::http {

/// Problem types are rendered as URIs under this base so that clients can match on a stable identifier
/// (RFC 9457 §3.1.1) instead of parsing titles.
inline constexpr std::string_view kProblemTypeBase = "https://tenantry.dev/problems/";

/// One invalid input field of a request, reported in the problem's "errors" member.
struct FieldError {
  std::string field;
  std::string message;
};

/// RFC 9457 problem details: the body of every error response.
struct Problem {
  /// A slug such as "not-found", rendered as kProblemTypeBase + slug; empty means "about:blank".
  std::string type;
  std::string title;
  int status = 500;
  /// Human-readable explanation of this occurrence; omitted when empty.
  std::string detail;
  /// Per-field validation errors; omitted when empty.
  std::vector<FieldError> errors;
  /// Extension members; they never override the standard members above.
  boost::json::object extra;
  /// Seconds, sent as the Retry-After header (429 and 503 answers).
  std::optional<int> retry_after;

  static Problem bad_request(std::string detail);
  static Problem not_found(std::string detail = {});
  static Problem method_not_allowed(std::string detail = {});
  static Problem conflict(std::string detail);
  /// 400 validation-error with the invalid fields listed: one status for every validation failure, as DRF.
  static Problem validation(std::vector<FieldError> errors, std::string detail = {});
  /// 500 that says nothing about the cause, only the request id to quote to support.
  static Problem internal(std::string_view request_id);
};

/// The problem as a JSON object.
boost::json::object to_json(const Problem& problem);
/// The problem as a response with Content-Type application/problem+json.
Response to_response(const Problem& problem);

/// A problem type: the slug clients match on and its title, for answers with status `Status`. Each one is
/// defined once as a constant (the common ones in `problem_types` below, an app's own beside its routes) and
/// thrown through the class of its status, e.g. `throw http::Conflict(kDuplicateSku, "...")`: the compiler
/// refuses a type of one status thrown as another.
template <int Status>
struct ProblemType {
  static constexpr int status = Status;
  std::string_view slug;
  std::string_view title;
};

/// The problem types every part of the server uses.
namespace problem_types {
inline constexpr ProblemType<400> kBadRequest{"bad-request", "Bad Request"};
/// Request input (body fields, query parameters) that failed validation, with the fields listed.
inline constexpr ProblemType<400> kInvalidInput{"validation-error", "Invalid input"};
inline constexpr ProblemType<401> kNotAuthenticated{"not-authenticated", "Not authenticated"};
inline constexpr ProblemType<403> kPermissionDenied{"permission-denied", "Permission denied"};
inline constexpr ProblemType<404> kNotFound{"not-found", "Not Found"};
inline constexpr ProblemType<405> kMethodNotAllowed{"method-not-allowed", "Method Not Allowed"};
inline constexpr ProblemType<409> kConflict{"conflict", "Conflict"};
inline constexpr ProblemType<429> kTooManyRequests{"too-many-requests", "Too many requests"};
inline constexpr ProblemType<500> kInternalError{"internal-error", "Internal Server Error"};
}  // namespace problem_types

/// The problem of type `type` with `detail` and extension members.
template <int Status>
Problem make_problem(const ProblemType<Status>& type, std::string detail, boost::json::object extra = {}) {
  Problem p;
  p.type = type.slug;
  p.title = type.title;
  p.status = Status;
  p.detail = std::move(detail);
  p.extra = std::move(extra);
  return p;
}

/// Thrown by handlers to answer with a problem (usually 4xx) from deep inside a call chain; the server turns
/// it into to_response(problem()). Handlers throw the subclass of the status they mean (NotFound, Conflict,
/// Invalid, ...).
class ProblemError : public std::exception {
 public:
  explicit ProblemError(Problem problem);
  const Problem& problem() const noexcept { return problem_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Problem problem_;
  std::string what_;
};

/// A ProblemError of one status: built from a problem type of that status only.
template <int Status>
class ProblemOf : public ProblemError {
 public:
  ProblemOf(const ProblemType<Status>& type, std::string detail, boost::json::object extra = {})
      : ProblemError(make_problem(type, std::move(detail), std::move(extra))) {}
};

/// 400 bad-request, or another 400 type.
class BadRequest : public ProblemOf<400> {
 public:
  using ProblemOf::ProblemOf;
  explicit BadRequest(std::string detail) : ProblemOf(problem_types::kBadRequest, std::move(detail)) {}
};

/// 400 validation-error listing the invalid fields of the request; the detail names the field, or says how
/// many are invalid.
class Invalid : public ProblemError {
 public:
  explicit Invalid(std::vector<FieldError> errors);
  Invalid(std::string field, std::string message);
};

/// 401 not-authenticated, or another 401 type (e.g. invalid credentials).
class Unauthorized : public ProblemOf<401> {
 public:
  using ProblemOf::ProblemOf;
  explicit Unauthorized(std::string detail)
      : ProblemOf(problem_types::kNotAuthenticated, std::move(detail)) {}
};

/// 403 permission-denied, or another 403 type (e.g. a plan limit).
class Forbidden : public ProblemOf<403> {
 public:
  using ProblemOf::ProblemOf;
  explicit Forbidden(std::string detail) : ProblemOf(problem_types::kPermissionDenied, std::move(detail)) {}
};

/// 404 not-found; the detail says what was looked for ("No product with id 7.").
class NotFound : public ProblemOf<404> {
 public:
  explicit NotFound(std::string detail = {}) : ProblemOf(problem_types::kNotFound, std::move(detail)) {}
};

/// 409 conflict, or another 409 type (e.g. a duplicate SKU).
class Conflict : public ProblemOf<409> {
 public:
  using ProblemOf::ProblemOf;
  explicit Conflict(std::string detail) : ProblemOf(problem_types::kConflict, std::move(detail)) {}
};

/// 429 too-many-requests with the seconds to wait (the Retry-After header).
class TooManyRequests : public ProblemError {
 public:
  TooManyRequests(std::string detail, int retry_after_seconds);
};

}  // namespace tenantry::http

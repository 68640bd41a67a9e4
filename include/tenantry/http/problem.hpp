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
  /// 422 with the invalid fields listed.
  static Problem validation(std::vector<FieldError> errors, std::string detail = {});
  /// 500 that says nothing about the cause, only the request id to quote to support.
  static Problem internal(std::string_view request_id);
};

/// The problem as a JSON object.
boost::json::object to_json(const Problem& problem);
/// The problem as a response with Content-Type application/problem+json.
Response to_response(const Problem& problem);

/// Thrown by handlers to answer with a problem (usually 4xx) from deep inside a call chain; the server turns
/// it into to_response(problem()).
class ProblemError : public std::exception {
 public:
  explicit ProblemError(Problem problem);
  const Problem& problem() const noexcept { return problem_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Problem problem_;
  std::string what_;
};

}  // namespace tenantry::http

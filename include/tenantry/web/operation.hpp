#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/auth/principal.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/http/problem.hpp"
#include "tenantry/http/request.hpp"
#include "tenantry/web/schema.hpp"

namespace tenantry::web {

struct RequestContext;

/// Who may call an operation. Dispatch enforces it before the handler runs (401 without a valid token, 403
/// with too small a role) and hands the handler the caller (RequestContext::principal).
struct Access {
  enum class Kind {
    /// Anyone: no token is read (signup, login, the documents).
    kPublic,
    /// A valid token for the tenant of the request, any role.
    kSignedIn,
    /// A token for this tenant with at least `role`.
    kRole,
    /// A platform administrator's token (from the admin login).
    kPlatformAdmin,
  };
  Kind kind = Kind::kPublic;
  auth::Role role = auth::Role::kViewer;

  static constexpr Access anyone() { return {}; }
  static constexpr Access signed_in() { return {Kind::kSignedIn}; }
  static constexpr Access at_least(auth::Role role) { return {Kind::kRole, role}; }
  static constexpr Access platform_admin() { return {Kind::kPlatformAdmin}; }
};

/// A path placeholder or query parameter.
struct Parameter {
  std::string name;
  Schema schema;
  std::string description = {};
  /// Query parameters: whether a request must have it (path placeholders always must).
  bool required = false;
};

/// A problem type an operation can answer, for its document (see http::ProblemType).
struct ProblemRef {
  int status;
  std::string_view slug;
  std::string_view title;
  template <int Status>
  constexpr ProblemRef(const http::ProblemType<Status>& type)  // NOLINT(google-explicit-constructor)
      : status(Status), slug(type.slug), title(type.title) {}
};

/// One success answer of an operation: its status and body (none for 204).
struct Reply {
  int status = 200;
  std::optional<Schema> body = std::nullopt;
  std::string description = {};
  /// The body's media type when it is not JSON (e.g. "text/html").
  std::string content_type = "application/json";
};

/// Everything a route declares next to its handler, the one source of its input validation, its access
/// check and its OpenAPI operation:
///
///   {.summary = "Create a product", .tags = {"catalog"}, .access = Access::at_least(Role::kStaff),
///    .body = product.for_write(Write::kCreate, "ProductCreate"),
///    .replies = {{201, product}}, .problems = {kDuplicateSku, kPlanLimit}}
struct Operation {
  std::string summary;
  std::string description = {};
  std::vector<std::string> tags = {};
  /// Derived from the method and path when empty (e.g. "getApiProductsId").
  std::string operation_id = {};
  Access access = {};
  /// Descriptions and examples of the template's placeholders (their types come from the template).
  std::vector<Parameter> path = {};
  /// Every query parameter accepted; any other is a 400 naming it.
  std::vector<Parameter> query = {};
  /// A paginated list of these: `limit` (1–100) and `offset` join the query parameters, and the 200 answer is
  /// the shared Page envelope with these as its results.
  std::optional<Schema> page_of = std::nullopt;
  /// The JSON request body; none: the operation reads no body (whatever is sent is ignored).
  std::optional<Schema> body = std::nullopt;
  /// Whether a request must have the body (false: an empty body stands for `{}`).
  bool body_required = true;
  /// The rules of the input that need the database or the configuration (a referenced product exists, a
  /// plan is configured): run by dispatch after the schema's, with its errors so far (skip a field already
  /// in them), so that a client still sees every error at once.
  std::function<Task<void>(RequestContext& ctx, std::vector<http::FieldError>& errors)> check = {};
  std::vector<Reply> replies = {};
  /// The problems of this operation beyond those every operation of its kind can answer (validation,
  /// authentication, not found, preconditions, overload), which the document adds by itself.
  std::vector<ProblemRef> problems = {};
  /// Left out of the OpenAPI document (e.g. the console's HTML pages).
  bool undocumented = false;
};

/// The validated input of a request: its query parameters (typed: integers, booleans, strings) or its body,
/// as the operation declared them. The readers cannot fail: what they return was checked by dispatch.
class Input {
 public:
  Input() = default;
  explicit Input(boost::json::object values) : values_(std::move(values)) {}

  bool has(std::string_view name) const { return values_.contains(name); }
  bool is_null(std::string_view name) const;
  std::optional<std::string> string(std::string_view name) const;
  std::optional<std::int64_t> integer(std::string_view name) const;
  std::optional<bool> boolean(std::string_view name) const;
  const boost::json::object& values() const noexcept { return values_; }

 private:
  boost::json::object values_;
};

/// The query parameters and body of `request` checked against `operation`'s schemas, with every field error
/// (dispatch answers them, with those of Operation::check, as one 400 validation-error). A body that is no
/// JSON object throws a 400 invalid-json at once.
struct ValidatedInput {
  Input query;
  Input body;
  std::vector<http::FieldError> errors;
};
ValidatedInput validate_input(const Operation& operation, const http::Request& request);

/// The query parameters of a paginated list: limit (default 20, 1–100) and offset.
const std::vector<Parameter>& page_parameters();

}  // namespace tenantry::web

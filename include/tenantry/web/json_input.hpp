#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/http/problem.hpp"
#include "tenantry/http/request.hpp"

namespace tenantry::web {

/// What a field must be: its presence, and bounds on its length (strings) or value (integers).
struct FieldRule {
  bool required = false;
  std::optional<std::int64_t> min;  // unset: no lower bound (strings: may be empty)
  std::optional<std::int64_t> max;
  bool nullable = false;     // an explicit null is accepted (and seen through is_null())
  bool single_line = false;  // strings: no control characters (names shown in mail subjects and logs)
};

/// Reads a JSON object from a request body and validates its fields, collecting every error before answering
/// 400 with the list (`finish()`), so that a client sees all its mistakes at once.
///
///   JsonInput in(ctx.request);
///   auto name = in.string("name", {.required = true, .max = 200});
///   auto price = in.integer("price_cents", {.required = true, .min = 0});
///   in.finish();  // throws ProblemError(400) when anything was wrong
class JsonInput {
 public:
  using Rule = FieldRule;

  /// Throws ProblemError(400) when the body is not a JSON object.
  explicit JsonInput(const http::Request& request);

  bool has(std::string_view field) const;
  bool is_null(std::string_view field) const;
  /// Whether the field is "" (e.g. an optional value a GET shows as empty, sent back).
  bool is_empty_string(std::string_view field) const;
  std::optional<std::string> string(std::string_view field, Rule rule = {});
  std::optional<std::int64_t> integer(std::string_view field, Rule rule = {});
  std::optional<bool> boolean(std::string_view field, Rule rule = {});
  /// A string that must be one of `allowed`.
  std::optional<std::string> choice(std::string_view field, const std::vector<std::string_view>& allowed,
                                    Rule rule = {});
  /// An e-mail address, normalised by normalize_email().
  std::optional<std::string> email(std::string_view field, Rule rule = {});
  /// Fields not in `known` are errors: typos are not silently ignored. Fields in `read_only` (the id and
  /// timestamps a GET shows) are accepted and ignored, so that a client may PUT back what it read, as in DRF.
  void only(const std::vector<std::string_view>& known, const std::vector<std::string_view>& read_only = {});

  void error(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  bool ok() const noexcept { return errors_.empty(); }
  /// Throws ProblemError(400, validation-error) listing every field error.
  void finish() const;

 private:
  const boost::json::value* find(std::string_view field, const Rule& rule);
  boost::json::object object_;
  std::vector<http::FieldError> errors_;
};

/// An e-mail address as the database compares it (trimmed, lower-cased), or nullopt when it is not one: one
/// '@', a dot in the domain, ASCII without spaces, controls or header punctuation, at most 254 characters.
/// Every lookup and throttle of an account keys on this value.
std::optional<std::string> normalize_email(std::string_view text);

/// The field error of a value outside `allowed`: "Must be one of: a, b, c."
std::string must_be_one_of(const std::vector<std::string_view>& allowed);

}  // namespace tenantry::web

#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "tenantry/db/errors.hpp"
#include "tenantry/http/problem.hpp"

namespace tenantry::web {

/// How the violation of one named constraint is answered: with the problem a handler would have thrown had
/// it checked first (a duplicate SKU, a product deleted meanwhile). Each app lists its constraints beside its
/// routes; dispatch answers every integrity violation (unique, foreign key, check, ...) from those tables, so
/// handlers catch none themselves. A constraint no table names stays an error (500).
struct ConstraintProblem {
  std::string_view constraint;
  int status = 0;
  std::string_view type;
  std::string_view title;
  /// Set: the answer is http::Invalid with this field (and `message` as its error) instead of `type`.
  std::string_view field;
  /// The detail (or the field's message); "{value}" stands for the key value the database reports, e.g.
  /// `abc` of "Key (sku)=(abc) already exists.".
  std::string_view message;
};

/// The violation of `constraint` answers with a problem of `type` and `detail`.
template <int Status>
constexpr ConstraintProblem answer_as(std::string_view constraint, const http::ProblemType<Status>& type,
                                      std::string_view detail) {
  return {constraint, Status, type.slug, type.title, {}, detail};
}

/// The violation of `constraint` answers with 400 validation-error naming `field`.
constexpr ConstraintProblem invalid_field(std::string_view constraint, std::string_view field,
                                          std::string_view message) {
  return {constraint, 0, {}, {}, field, message};
}

/// The problem for `violation` from `table`, or nullopt when no entry names its constraint.
std::optional<http::Problem> constraint_problem(const db::IntegrityConstraintViolation& violation,
                                                std::span<const ConstraintProblem> table);

}  // namespace tenantry::web

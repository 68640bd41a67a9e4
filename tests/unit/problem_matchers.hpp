#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tenantry/http/problem.hpp"

namespace tenantry::testing {

/// The problem `action` throws as http::ProblemError, or nullopt (a test failure) when it throws nothing.
inline std::optional<http::Problem> problem_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const http::ProblemError& e) {
    return e.problem();
  }
  ADD_FAILURE() << "expected a ProblemError";
  return std::nullopt;
}

/// The field errors as (field, message) pairs, in order, for one EXPECT_EQ.
inline std::vector<std::pair<std::string, std::string>> field_errors(const http::Problem& problem) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : problem.errors) out.emplace_back(e.field, e.message);
  return out;
}

}  // namespace tenantry::testing

#pragma once

#include <string>

#include "tenantry/http/problem.hpp"

namespace tenantry::auth::detail {

/// 401 `not-authenticated` with `detail` saying what to do about it.
[[noreturn]] inline void unauthenticated(std::string detail) {
  auto problem = http::Problem{
      .type = "not-authenticated", .title = "Not authenticated", .status = 401, .detail = std::move(detail)};
  throw http::ProblemError(std::move(problem));
}

}  // namespace tenantry::auth::detail

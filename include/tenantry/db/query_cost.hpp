#pragma once

#include <chrono>
#include <cstdint>

namespace tenantry::db {

/// What a unit of work (e.g. one HTTP request) cost the database: time in round trips (from sending to the
/// last result), rows returned and statements run. A Session given one adds every statement of its own and
/// of its transactions to it; reading it is left to its owner (e.g. once per request, for metrics).
struct QueryCost {
  std::chrono::nanoseconds time{0};
  std::uint64_t rows = 0;
  std::uint64_t statements = 0;
};

}  // namespace tenantry::db

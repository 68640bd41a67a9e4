#pragma once

#include <cstddef>
#include <functional>

#include "tenantry/core/task.hpp"

namespace tenantry {

/// Runs `worker(0) … worker(n-1)` concurrently on the current executor and waits for all of them.
/// The first exception thrown by a worker is rethrown once every worker has finished.
Task<void> run_concurrently(std::size_t n, std::function<Task<void>(std::size_t)> worker);

}  // namespace tenantry

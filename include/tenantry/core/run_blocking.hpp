#pragma once

#include <optional>
#include <utility>

#include "tenantry/core/task.hpp"

namespace boost::asio {
class io_context;
}

namespace tenantry {

/// Runs `task` on `io` until it completes, rethrowing its exception. For command-line tools and tests.
void run_blocking(boost::asio::io_context& io, Task<void> task);

/// Same, returning the task's value.
template <typename T>
T run_blocking(boost::asio::io_context& io, Task<T> task) {
  std::optional<T> out;
  run_blocking(io, [](Task<T> t, std::optional<T>& o) -> Task<void> {
    o.emplace(co_await std::move(t));
  }(std::move(task), out));
  return std::move(*out);
}

}  // namespace tenantry

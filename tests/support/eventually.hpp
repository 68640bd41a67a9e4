#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace tenantry::testing {

/// True once `condition` holds, checking every 50 ms until `timeout` (and once more at the end).
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

}  // namespace tenantry::testing

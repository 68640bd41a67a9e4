#include "tenantry/db/outage_monitor.hpp"

#include <spdlog/spdlog.h>

namespace tenantry::db {

void OutageMonitor::failed(std::string_view why) noexcept {
  std::lock_guard lock(mutex_);
  ++failures_;
  if (down_.load(std::memory_order_relaxed)) return;
  down_.store(true, std::memory_order_relaxed);
  since_ = std::chrono::steady_clock::now();
  failures_ = 1;
  try {
    spdlog::warn("database unavailable: {}", why);
  } catch (...) {
    // logging must not turn a failed request into a crash
  }
}

void OutageMonitor::connected() noexcept {
  if (!down_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mutex_);
  if (!down_.load(std::memory_order_relaxed)) return;
  down_.store(false, std::memory_order_relaxed);
  const std::chrono::duration<double> lasted = std::chrono::steady_clock::now() - since_;
  try {
    spdlog::info("database available again after {:.1f} s ({} failed attempts meanwhile)", lasted.count(),
                 failures_);
  } catch (...) {
  }
}

}  // namespace tenantry::db

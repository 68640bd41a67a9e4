#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace tenantry::db {

/// Says when the database becomes unreachable and when it is back, once each: "database unavailable: <why>"
/// (warn) at the first failure, "database available again after N s" (info) at the first connection opened
/// after it. Requests that fail meanwhile add no log line of their own, so an outage under load costs two
/// lines, not one per request. Shared by the pools of a server process; safe from any thread, and its
/// steady state (up) costs one relaxed atomic load per report.
class OutageMonitor {
 public:
  /// A connection could not be opened or was lost (see is_database_unavailable()).
  void failed(std::string_view why) noexcept;
  /// A connection opened: the database answers.
  void connected() noexcept;
  bool down() const noexcept { return down_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> down_{false};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point since_;
  std::uint64_t failures_ = 0;  // reports while down, for the recovery line
};

}  // namespace tenantry::db

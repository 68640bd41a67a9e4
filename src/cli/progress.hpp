#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace tenantry::cli {

/// "4.1 s", "41 s", "12 min 5 s": a duration for people.
std::string format_duration(double seconds);

/// Progress of a fleet operation (migrate, exec --all, doctor) on standard error, as
/// "120/1000 tenants, 4.1 s elapsed, ETA 30 s". On a terminal the line is rewritten after every tenant;
/// otherwise (a log, CI) a line is written at most every 10 s, so that a long run shows a heartbeat
/// without flooding the log. Standard output keeps only the results.
class FleetProgress {
 public:
  explicit FleetProgress(std::string verb);

  /// After each tenant; `failed` so far.
  void update(std::size_t done, std::size_t total, std::size_t failed);
  /// Ends the terminal line, if one was drawn.
  void finish();
  double elapsed_seconds() const;
  /// "4.1 s", for the final summary (which always says how long the run took).
  std::string elapsed() const { return format_duration(elapsed_seconds()); }

 private:
  std::string line(std::size_t done, std::size_t total, std::size_t failed) const;

  std::string verb_;
  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_line_ = start_;
};

}  // namespace tenantry::cli

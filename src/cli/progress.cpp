#include "cli/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace tenantry::cli {

namespace {

constexpr auto kLogInterval = std::chrono::seconds(10);

}  // namespace

std::string format_duration(double seconds) {
  char text[32];
  if (seconds < 10)
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  else if (seconds < 60)
    std::snprintf(text, sizeof text, "%.0f s", seconds);
  else
    std::snprintf(text, sizeof text, "%.0f min %.0f s", std::floor(seconds / 60), std::fmod(seconds, 60.0));
  return text;
}

FleetProgress::FleetProgress(std::string verb) : verb_(std::move(verb)), terminal_(::isatty(STDERR_FILENO)) {}

double FleetProgress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string FleetProgress::line(std::size_t done, std::size_t total, std::size_t failed) const {
  const double elapsed = elapsed_seconds();
  std::string out = verb_ + " " + std::to_string(done) + "/" + std::to_string(total) + " tenants, " +
                    format_duration(elapsed) + " elapsed";
  // The rate so far predicts the rest; nothing to predict from before the first tenant, or after the last.
  if (done > 0 && done < total)
    out +=
        ", ETA " + format_duration(elapsed / static_cast<double>(done) * static_cast<double>(total - done));
  if (failed > 0) out += ", " + std::to_string(failed) + " failed";
  return out;
}

void FleetProgress::update(std::size_t done, std::size_t total, std::size_t failed) {
  if (terminal_) {
    // \33[K clears what a longer previous line left.
    std::cerr << "\r" << line(done, total, failed) << "\33[K" << std::flush;
    drawn_ = true;
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_line_ < kLogInterval || done == total) return;
  last_line_ = now;
  std::cerr << line(done, total, failed) << "\n";
}

void FleetProgress::finish() {
  if (drawn_) std::cerr << "\n";
  drawn_ = false;
}

}  // namespace tenantry::cli

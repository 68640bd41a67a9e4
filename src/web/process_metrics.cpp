// The process_* families of the Prometheus client libraries (same names and meaning), read from /proc/self
// at each scrape, and tenantry_build_info.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include "tenantry/web/metrics.hpp"

#ifndef TENANTRY_VERSION
#define TENANTRY_VERSION "unknown"
#endif

namespace tenantry::web {

namespace {

struct ProcessStat {
  double cpu_seconds = 0;
  double start_time = 0;  // seconds since the epoch
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

/// The boot time (seconds since the epoch): /proc/self/stat counts the start time in ticks since boot.
std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("btime ")) return std::stod(line.substr(6));
  return std::nullopt;
}

std::optional<ProcessStat> read_stat() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: the fields start after the last ')'.
  const auto paren = text.rfind(')');
  const auto boot = boot_time();
  if (paren == std::string::npos || !boot) return std::nullopt;
  std::istringstream fields(text.substr(paren + 2));
  std::vector<std::string> f{std::istream_iterator<std::string>(fields),
                             std::istream_iterator<std::string>()};
  // f[0] is field 3 (state): field n is f[n - 3].
  if (f.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  ProcessStat s;
  s.cpu_seconds = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / ticks;
  s.start_time = *boot + std::stod(f[22 - 3]) / ticks;
  s.virtual_bytes = std::stod(f[23 - 3]);
  s.resident_bytes = std::stod(f[24 - 3]) * page;
  return s;
}

std::size_t open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec))
    ++n;
  return n > 0 ? n - 1 : 0;  // not the descriptor of the listing itself
}

const char* compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

void append_process_metrics(std::string& out) {
  auto gauge = [&](std::string_view name, std::string_view type, std::string_view help, double value) {
    family(out, name, type, help);
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  };
  if (const auto stat = read_stat()) {
    gauge("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
          stat->cpu_seconds);
    gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", stat->resident_bytes);
    gauge("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", stat->virtual_bytes);
    gauge("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
          stat->start_time);
  }
  gauge("process_open_fds", "gauge", "Number of open file descriptors.", static_cast<double>(open_fds()));
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    gauge("process_max_fds", "gauge", "Maximum number of open file descriptors.",
          static_cast<double>(limit.rlim_cur));
  family(out, "tenantry_build_info", "gauge", "Always 1; the labels say which build is running.");
  fmt::format_to(std::back_inserter(out), "tenantry_build_info{{version=\"{}\",compiler=\"{}\"}} 1\n",
                 prometheus_label(TENANTRY_VERSION), prometheus_label(compiler()));
}

}  // namespace tenantry::web

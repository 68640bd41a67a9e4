#include "tenantry/core/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "core/text.hpp"

namespace tenantry {

namespace {

std::atomic<bool> g_json{false};

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    thread_local std::string line;
    line.clear();
    line += R"({"timestamp":")";
    append_timestamp(line, msg.time);
    line += R"(","level":")";
    const auto level = spdlog::level::to_string_view(msg.level);
    detail::append_json_escaped(line, std::string_view(level.data(), level.size()));
    line += R"(","logger":")";
    detail::append_json_escaped(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    // The access log's fields, rendered by the HTTP server as one object: merged into this one.
    if (std::string_view(msg.logger_name.data(), msg.logger_name.size()) == kAccessLogger &&
        payload.size() > 2 && payload.front() == '{' && payload.back() == '}') {
      line += "\",";
      line += payload.substr(1);
    } else {
      line += R"(","message":")";
      detail::append_json_escaped(line, payload);
      line += "\"}";
    }
    line += '\n';
    append(dest, line);
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }

 private:
  // 2026-01-31T12:00:00.123Z
  static void append_timestamp(std::string& out, spdlog::log_clock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t t = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char buffer[32];
    const int n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                                utc.tm_sec, static_cast<int>(millis));
    out.append(buffer, static_cast<std::size_t>(n));
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(std::string_view format) {
  if (format == "json") return std::make_unique<JsonFormatter>();
  if (format == "text")
    return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$: %v",
                                                       spdlog::pattern_time_type::utc);
  throw std::invalid_argument("unknown log format '" + std::string(format) + "' (text or json)");
}

void set_log_format(std::string_view format) {
  spdlog::set_formatter(make_log_formatter(format));
  g_json = format == "json";
}

std::string_view log_format() noexcept {
  return g_json ? "json" : "text";
}

}  // namespace tenantry

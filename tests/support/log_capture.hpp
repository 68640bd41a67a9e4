#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <regex>
#include <string>

namespace tenantry::testing {

/// An spdlog sink into a string, readable while loggers write.
class StringSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::string text_;
};

/// The lines written to spdlog's default and access loggers while it lives.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  /// What was logged once `line` matches part of it (the access line follows the response), or after 5 s.
  std::string wait_for(const std::regex& line);

 private:
  std::shared_ptr<StringSink> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace tenantry::testing

#include "log_capture.hpp"

#include <chrono>
#include <thread>

#include "tenantry/core/logging.hpp"

namespace tenantry::testing {

std::string StringSink::text() {
  std::lock_guard lock(mutex_);
  return text_;
}

void StringSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  text_.append(line.data(), line.size());
}

LogCapture::LogCapture() : sink_(std::make_shared<StringSink>()) {
  spdlog::drop(kAccessLogger);
  spdlog::register_logger(std::make_shared<spdlog::logger>(kAccessLogger, sink_));
  previous_ = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink_));
}

LogCapture::~LogCapture() {
  spdlog::set_default_logger(previous_);
}

std::string LogCapture::wait_for(const std::regex& line) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    std::string text = sink_->text();
    if (std::regex_search(text, line) || std::chrono::steady_clock::now() > deadline) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace tenantry::testing

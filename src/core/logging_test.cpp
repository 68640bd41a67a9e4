#include "tenantry/core/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <regex>
#include <sstream>

namespace tenantry {
namespace {

namespace json = boost::json;

/// What `logger_name` writes for `message` at warn level in `format`.
std::string logged(std::string_view format, const std::string& logger_name, const std::string& message) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(make_log_formatter(format));
  spdlog::logger logger(logger_name, sink);
  logger.warn("{}", message);
  return out.str();
}

TEST(LogFormat, JsonLineIsOneEscapedObject) {
  const std::string message = "say \"hi\" \\ then\nline two\t\x01 caf\xc3\xa9";
  const std::string line = logged("json", "tenantry", message);
  ASSERT_TRUE(line.ends_with("}\n")) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  const auto entry = json::parse(line).as_object();
  EXPECT_EQ(entry.at("message"), message.c_str());
  EXPECT_EQ(entry.at("level"), "warning");
  EXPECT_EQ(entry.at("logger"), "tenantry");
  EXPECT_TRUE(std::regex_match(std::string(entry.at("timestamp").as_string()),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
  // Invalid UTF-8 still makes valid JSON: each non-ASCII byte as a code point (\u00ff).
  EXPECT_EQ(json::parse(logged("json", "tenantry", "bad \xff byte")).as_object().at("message"),
            "bad \xc3\xbf byte");
}

TEST(LogFormat, AccessLogObjectsBecomeTheLine) {
  const auto entry =
      json::parse(logged("json", kAccessLogger, R"({"message":"GET / 200","status":200})")).as_object();
  EXPECT_EQ(entry.at("message"), "GET / 200");
  EXPECT_EQ(entry.at("status"), 200);
  EXPECT_TRUE(entry.contains("timestamp"));
  // Another logger's braces are just text.
  EXPECT_EQ(json::parse(logged("json", "tenantry", R"({"status":200})")).as_object().at("message"),
            R"({"status":200})");
}

TEST(LogFormat, TextLineStartsWithTheTime) {
  EXPECT_TRUE(
      std::regex_match(logged("text", "tenantry", "hello"),
                       std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z warning: hello\n)")));
  EXPECT_THROW(make_log_formatter("xml"), std::invalid_argument);
}

}  // namespace
}  // namespace tenantry

#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace tenantry {

/// The logger of the HTTP access log. With the JSON log format its messages are JSON objects (see
/// http::ServerOptions::access_log_json), whose members become members of the line's object.
inline constexpr const char* kAccessLogger = "access";

/// The formatter of a log format (log.format): "text" prefixes each message with its time in ISO 8601 UTC and
/// its level ("2026-01-31T12:00:00.123Z info: ..."); "json" writes each line as one JSON object with
/// "timestamp" (ISO 8601 UTC), "level", "logger" and "message" (JSON-escaped, so a message never spans
/// lines), plus the members of an access-log message. Throws std::invalid_argument on another name.
std::unique_ptr<spdlog::formatter> make_log_formatter(std::string_view format);

/// Formats every logger's lines, existing and future, with make_log_formatter(format).
void set_log_format(std::string_view format);

/// The format last given to set_log_format ("text" before).
std::string_view log_format() noexcept;

}  // namespace tenantry

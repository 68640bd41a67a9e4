#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantry::http {

/// An HTTP response produced by a handler. The server adds Content-Length, Date, Server, X-Request-Id and
/// Connection itself, so handlers set only what is specific to them.
struct Response {
  int status = 200;
  /// Sent as the Content-Type header when not empty.
  std::string content_type;
  /// Extra header fields. Content-Length and Transfer-Encoding here are ignored (the server computes the
  /// framing); "Connection: close" is honoured.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// `value` serialized, with Content-Type application/json.
  static Response json(int status, const boost::json::value& value);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  /// A response without a body, e.g. 204 No Content.
  static Response empty(int status);

  /// Appends a header field; returns *this for chaining.
  Response& add_header(std::string name, std::string value);
  /// The first extra header with this name (ASCII case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

}  // namespace tenantry::http

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantry::testing {

/// A response as received by HttpClient.
struct HttpResponse {
  int status = 0;
  /// Header fields in the order received, names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first field named `name` (lower-case), or nullopt.
  std::optional<std::string> find_header(std::string_view name) const;
  /// The first field named `name` (lower-case), or "" when there is none.
  std::string header(std::string_view name) const { return find_header(name).value_or(""); }
  bool has_header(std::string_view name) const { return find_header(name).has_value(); }
};

/// A blocking HTTP/1.1 client over one keep-alive connection to 127.0.0.1, for tests: requests built from
/// parts, or raw bytes to speak to the server exactly as a test needs (smuggling, pipelining, slow headers).
class HttpClient {
 public:
  struct Options {
    /// The client's source address (e.g. "127.0.0.7"); empty: the kernel's choice.
    std::string from_address;
    /// The longest wait for the server to send or take bytes; also how long closed_by_peer() waits.
    std::chrono::milliseconds timeout{10'000};
  };

  /// Throws std::runtime_error when nothing listens on `port`.
  explicit HttpClient(std::uint16_t port, const std::string& from_address = {});
  HttpClient(std::uint16_t port, const Options& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request and reads its response; `headers` are "Name: value" lines (Host: localhost unless
  /// given). A body, or the method POST, PUT or PATCH, gets a Content-Length.
  HttpResponse request(const std::string& method, const std::string& target,
                       std::vector<std::string> headers = {}, const std::string& body = "");
  HttpResponse get(const std::string& target, const std::string& host = "localhost") {
    return request("GET", target, {"Host: " + host});
  }
  /// Sends raw bytes and reads one response.
  HttpResponse raw(std::string_view bytes);

  /// Sends raw bytes only.
  void send(std::string_view bytes);
  /// Reads one response (no body after HEAD or a 1xx); throws std::runtime_error when the connection ends
  /// or the timeout passes first.
  HttpResponse read_response(bool head_request = false);
  /// True when the server closes the connection (FIN or RST) within the timeout; reads what comes before.
  bool closed_by_peer();
  /// Bytes received but not yet read as a response (e.g. an answer to a request the test did not mean).
  const std::string& unread() const noexcept { return buffer_; }

 private:
  bool fill();

  int fd_ = -1;
  std::string buffer_;
  int last_error_ = 0;
};

/// One request on a connection of its own, so that requests from several threads run concurrently (and a
/// loader does not depend on a kept-alive connection).
HttpResponse send_on_own_connection(std::uint16_t port, const std::string& method, const std::string& target,
                                    std::vector<std::string> headers, const std::string& body = "");

}  // namespace tenantry::testing

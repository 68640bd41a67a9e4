#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tenantry::testing {

/// A response as received by HttpClient.
struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

/// A blocking HTTP/1.1 client over one keep-alive connection to 127.0.0.1, for tests.
class HttpClient {
 public:
  /// `from_address` (e.g. "127.0.0.7") is the client's source address; empty: the kernel's choice.
  explicit HttpClient(std::uint16_t port, const std::string& from_address = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request; `headers` are "Name: value" lines (Host included only when given here, or
  /// "localhost").
  HttpResponse request(const std::string& method, const std::string& target,
                       std::vector<std::string> headers = {}, const std::string& body = "");
  HttpResponse get(const std::string& target, const std::string& host = "localhost") {
    return request("GET", target, {"Host: " + host});
  }
  /// Sends raw bytes and reads one response.
  HttpResponse raw(const std::string& bytes);
  /// True when the server has closed the connection.
  bool closed();

 private:
  HttpResponse read_response();
  int fd_;
  std::string buffer_;
};

/// One request on a connection of its own, so that requests from several threads run concurrently (and a
/// loader does not depend on a kept-alive connection).
HttpResponse send_on_own_connection(std::uint16_t port, const std::string& method, const std::string& target,
                                    std::vector<std::string> headers, const std::string& body = "");

}  // namespace tenantry::testing

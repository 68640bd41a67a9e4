#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tenantry::testing {

std::optional<std::string> HttpResponse::find_header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n == name) return v;
  return std::nullopt;
}

HttpClient::HttpClient(std::uint16_t port, const std::string& from_address)
    : HttpClient(port, Options{.from_address = from_address}) {}

HttpClient::HttpClient(std::uint16_t port, const Options& options) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  if (fd_ < 0) throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
  const auto ms = options.timeout.count();
  timeval timeout{.tv_sec = static_cast<time_t>(ms / 1000),
                  .tv_usec = static_cast<suseconds_t>(ms % 1000 * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!options.from_address.empty()) {
    // Any 127/8 address reaches the loopback listener: the server sees another client address.
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, options.from_address.c_str(), &local.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot bind the client to " + options.from_address);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(error));
  }
}

HttpClient::~HttpClient() {
  ::close(fd_);
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target,
                                 std::vector<std::string> headers, const std::string& body) {
  std::string out = method + " " + target + " HTTP/1.1\r\n";
  if (std::none_of(headers.begin(), headers.end(),
                   [](const std::string& h) { return h.rfind("Host:", 0) == 0; }))
    out += "Host: localhost\r\n";
  for (const auto& h : headers) out += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n" + body;
  send(out);
  return read_response(method == "HEAD");
}

HttpResponse HttpClient::raw(std::string_view bytes) {
  send(bytes);
  return read_response();
}

void HttpClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool HttpClient::fill() {
  char chunk[16384];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n > 0) {
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  last_error_ = n == 0 ? 0 : errno;
  return false;
}

HttpResponse HttpClient::read_response(bool head_request) {
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) throw std::runtime_error("connection ended before a response header: " + buffer_);
  const std::string_view head(buffer_.data(), end);
  if (!head.starts_with("HTTP/1.1 ") || head.size() < 12)
    throw std::runtime_error("bad status line: " + std::string(head.substr(0, head.find("\r\n"))));
  HttpResponse r;
  r.status = std::stoi(std::string(head.substr(9, 3)));
  std::size_t length = 0;
  for (std::size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string_view line =
        head.substr(pos + 2, next == std::string_view::npos ? next : next - pos - 2);
    pos = next;
    const auto colon = std::min(line.find(':'), line.size());
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value(line.substr(std::min(colon + 1, line.size())));
    value.erase(0, value.find_first_not_of(' '));
    if (name == "content-length") length = std::stoul(value);
    r.headers.emplace_back(std::move(name), std::move(value));
  }
  buffer_.erase(0, end + 4);
  if (head_request || r.status < 200) length = 0;
  while (buffer_.size() < length)
    if (!fill()) throw std::runtime_error("connection ended inside a response body");
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return r;
}

bool HttpClient::closed_by_peer() {
  while (fill()) {
  }
  return last_error_ != EAGAIN && last_error_ != EWOULDBLOCK;
}

HttpResponse send_on_own_connection(std::uint16_t port, const std::string& method, const std::string& target,
                                    std::vector<std::string> headers, const std::string& body) {
  HttpClient client(port);
  return client.request(method, target, std::move(headers), body);
}

}  // namespace tenantry::testing

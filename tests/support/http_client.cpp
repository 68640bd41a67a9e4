#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace tenantry::testing {

HttpClient::HttpClient(std::uint16_t port, const std::string& from_address)
    : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  if (!from_address.empty()) {
    // Any 127/8 address reaches the loopback listener: the server sees another client address.
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, from_address.c_str(), &local.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
      throw std::runtime_error("cannot bind the client to " + from_address);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval timeout{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
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
  return raw(out);
}

HttpResponse HttpClient::raw(const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed");
    sent += static_cast<std::size_t>(n);
  }
  return read_response();
}

bool HttpClient::closed() {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 2000) <= 0) return false;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

HttpResponse HttpClient::read_response() {
  auto fill = [this] {
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("connection closed before a full response");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  };
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
  HttpResponse r;
  const std::string head = buffer_.substr(0, end);
  r.status = std::stoi(head.substr(9, 3));
  for (std::size_t pos = head.find("\r\n"); pos != std::string::npos;) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    r.headers[name] = line.substr(std::min(line.size(), colon + 2));
    pos = next;
  }
  const std::size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  while (buffer_.size() < end + 4 + length) fill();
  r.body = buffer_.substr(end + 4, length);
  buffer_.erase(0, end + 4 + length);
  return r;
}

HttpResponse send_on_own_connection(std::uint16_t port, const std::string& method, const std::string& target,
                                    std::vector<std::string> headers, const std::string& body) {
  HttpClient client(port);
  return client.request(method, target, std::move(headers), body);
}

}  // namespace tenantry::testing

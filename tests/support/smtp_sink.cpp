#include "smtp_sink.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tenantry::testing {

namespace {

constexpr std::size_t kMaxLine = 64 * 1024;            // SMTP allows 1000; anything longer is a broken client
constexpr std::size_t kMaxMessage = 16 * 1024 * 1024;  // bounded memory, whatever the client sends

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string strip_line_end(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

/// Standard base64 (padding optional); nullopt on a character outside the alphabet.
std::optional<std::string> base64_decode(const std::string& text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

/// "FROM:<a@b> SIZE=10" → "a@b" (after the `keyword`, case-insensitive); nullopt when malformed.
std::optional<std::string> path_argument(const std::string& argument, const std::string& keyword) {
  if (upper(argument.substr(0, keyword.size())) != keyword) return std::nullopt;
  std::string rest = argument.substr(keyword.size());
  rest.erase(0, rest.find_first_not_of(' '));
  if (rest.empty()) return std::nullopt;
  if (rest.front() != '<') return rest.substr(0, rest.find(' '));
  const auto close = rest.find('>');
  if (close == std::string::npos) return std::nullopt;
  return rest.substr(1, close - 1);
}

}  // namespace

std::string SmtpMessage::header(const std::string& name) const {
  const std::string wanted = lower(name) + ":";
  for (std::size_t pos = 0; pos < data.size();) {
    auto end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    const std::string line = strip_line_end(data.substr(pos, end - pos));
    if (line.empty()) break;  // end of the headers
    if (lower(line.substr(0, wanted.size())) == wanted) {
      std::string value = line.substr(wanted.size());
      value.erase(0, value.find_first_not_of(' '));
      return value;
    }
    pos = end + 1;
  }
  return "";
}

std::string SmtpMessage::body() const {
  const auto crlf = data.find("\r\n\r\n");
  return crlf == std::string::npos ? "" : data.substr(crlf + 4);
}

/// One client connection: line reads that give up on a timeout, a close, or the sink stopping.
struct SmtpSink::Session {
  int fd;
  int stop_fd;
  std::chrono::milliseconds timeout;
  std::string buffer;

  /// The next line with its line end ("\r\n", or a bare "\n" if the client sent one); nullopt when the
  /// session is over.
  std::optional<std::string> read_line() {
    for (;;) {
      if (const auto end = buffer.find('\n'); end != std::string::npos) {
        std::string line = buffer.substr(0, end + 1);
        buffer.erase(0, end + 1);
        return line;
      }
      if (buffer.size() > kMaxLine) return std::nullopt;
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      const int ready = ::poll(fds, 2, static_cast<int>(timeout.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0 || (fds[1].revents & POLLIN)) return std::nullopt;  // timed out, or stopping
      char chunk[4096];
      const auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  bool reply(const std::string& text) {
    for (std::size_t sent = 0; sent < text.size();) {
      const auto n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
};

SmtpSink::SmtpSink() : SmtpSink(Options{}) {}

SmtpSink::SmtpSink(Options options) : options_(std::move(options)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (listen_fd_ < 0 || stop_fd_ < 0) throw std::runtime_error("SmtpSink: no socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 8) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    ::close(listen_fd_);
    ::close(stop_fd_);
    throw std::runtime_error(std::string("SmtpSink: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

SmtpSink::~SmtpSink() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_fd_);
}

void SmtpSink::run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents & POLLIN) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      const std::lock_guard lock(mutex_);
      ++sessions_;
    }
    serve(fd);
    ::close(fd);
  }
}

void SmtpSink::record_command(const std::string& verb) {
  const std::lock_guard lock(mutex_);
  commands_.push_back(verb);
}

void SmtpSink::serve(int fd) {
  Session s{fd, stop_fd_, options_.io_timeout, {}};
  std::string mechanism, user, password;
  std::optional<std::string> from;
  std::vector<std::string> recipients;
  if (!s.reply("220 sink.test ESMTP test sink\r\n")) return;
  for (;;) {
    const auto line = s.read_line();
    if (!line) return;
    const std::string command = strip_line_end(*line);
    const auto space = command.find(' ');
    const std::string verb = upper(command.substr(0, space));
    const std::string argument = space == std::string::npos ? "" : command.substr(space + 1);
    record_command(verb);
    if (!options_.stall_on.empty() && verb == options_.stall_on) {
      while (s.read_line()) {
      }
      return;
    }
    bool ok = true;
    if (verb == "EHLO") {
      std::string answer = "250-sink.test\r\n";
      if (options_.offer_starttls) answer += "250-STARTTLS\r\n";
      if (!options_.auth_mechanisms.empty()) answer += "250-AUTH " + options_.auth_mechanisms + "\r\n";
      ok = s.reply(answer + "250 8BITMIME\r\n");
    } else if (verb == "HELO") {
      ok = s.reply("250 sink.test\r\n");
    } else if (verb == "STARTTLS") {
      ok = s.reply(options_.offer_starttls ? "454 4.7.0 TLS not available in this sink\r\n"
                                           : "502 5.5.1 STARTTLS not offered\r\n");
    } else if (verb == "AUTH") {
      const auto blank = argument.find(' ');
      const std::string mech = upper(argument.substr(0, blank));
      std::string initial = blank == std::string::npos ? "" : argument.substr(blank + 1);
      // A client's next line as base64 (nullopt: session over or "*" cancel).
      auto read_response = [&]() -> std::optional<std::string> {
        const auto next = s.read_line();
        if (!next) return std::nullopt;
        const std::string text = strip_line_end(*next);
        if (text == "*") return std::nullopt;
        return base64_decode(text);
      };
      std::optional<std::string> decoded;
      if (mech == "PLAIN") {
        if (initial.empty()) {
          if (!s.reply("334 \r\n")) return;
          decoded = read_response();
        } else {
          decoded = initial == "=" ? std::string() : base64_decode(initial);
        }
        // authzid NUL authcid NUL password
        const auto first = decoded ? decoded->find('\0') : std::string::npos;
        const auto second = first == std::string::npos ? first : decoded->find('\0', first + 1);
        if (second == std::string::npos) {
          ok = s.reply("501 5.5.2 malformed PLAIN response\r\n");
        } else {
          mechanism = "PLAIN";
          user = decoded->substr(first + 1, second - first - 1);
          password = decoded->substr(second + 1);
          ok = s.reply("235 2.7.0 Authentication successful\r\n");
        }
      } else if (mech == "LOGIN") {
        std::optional<std::string> name;
        if (initial.empty()) {
          if (!s.reply("334 VXNlcm5hbWU6\r\n")) return;  // "Username:"
          name = read_response();
        } else {
          name = base64_decode(initial);
        }
        std::optional<std::string> secret;
        if (name) {
          if (!s.reply("334 UGFzc3dvcmQ6\r\n")) return;  // "Password:"
          secret = read_response();
        }
        if (!name || !secret) {
          ok = s.reply("501 5.5.2 authentication cancelled or malformed\r\n");
        } else {
          mechanism = "LOGIN";
          user = *name;
          password = *secret;
          ok = s.reply("235 2.7.0 Authentication successful\r\n");
        }
      } else {
        ok = s.reply("504 5.5.4 mechanism not supported\r\n");
      }
    } else if (verb == "MAIL") {
      from = path_argument(argument, "FROM:");
      recipients.clear();
      ok = s.reply(from ? "250 2.1.0 OK\r\n" : "501 5.5.4 syntax: MAIL FROM:<address>\r\n");
    } else if (verb == "RCPT") {
      const auto to = path_argument(argument, "TO:");
      if (!from) {
        ok = s.reply("503 5.5.1 MAIL first\r\n");
      } else if (!to) {
        ok = s.reply("501 5.5.4 syntax: RCPT TO:<address>\r\n");
      } else {
        recipients.push_back(*to);
        ok = s.reply("250 2.1.5 OK\r\n");
      }
    } else if (verb == "DATA") {
      if (!from || recipients.empty()) {
        ok = s.reply("503 5.5.1 MAIL and RCPT first\r\n");
      } else {
        if (!s.reply("354 End data with <CR><LF>.<CR><LF>\r\n")) return;
        std::string data;
        for (;;) {
          auto next = s.read_line();
          if (!next || data.size() > kMaxMessage) return;
          if (*next == ".\r\n") break;
          if (next->front() == '.') next->erase(0, 1);  // dot-stuffing (RFC 5321 §4.5.2)
          data += *next;
        }
        {
          const std::lock_guard lock(mutex_);
          messages_.push_back(SmtpMessage{*from, recipients, std::move(data), mechanism, user, password});
        }
        arrived_.notify_all();
        from.reset();
        recipients.clear();
        ok = s.reply("250 2.0.0 OK queued\r\n");
      }
    } else if (verb == "RSET") {
      from.reset();
      recipients.clear();
      ok = s.reply("250 2.0.0 OK\r\n");
    } else if (verb == "NOOP") {
      ok = s.reply("250 2.0.0 OK\r\n");
    } else if (verb == "QUIT") {
      s.reply("221 2.0.0 Bye\r\n");
      return;
    } else {
      ok = s.reply("500 5.5.2 command not recognised\r\n");
    }
    if (!ok) return;
  }
}

std::optional<SmtpMessage> SmtpSink::wait_for(std::size_t index, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!arrived_.wait_for(lock, timeout, [&] { return messages_.size() > index; })) return std::nullopt;
  return messages_[index];
}

std::vector<SmtpMessage> SmtpSink::messages() const {
  const std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<std::string> SmtpSink::commands() const {
  const std::lock_guard lock(mutex_);
  return commands_;
}

std::size_t SmtpSink::sessions() const {
  const std::lock_guard lock(mutex_);
  return sessions_;
}

}  // namespace tenantry::testing

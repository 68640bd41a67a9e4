#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tenantry::testing {

/// One message as an SmtpSink received it.
struct SmtpMessage {
  std::string from;                     // MAIL FROM, without the angle brackets
  std::vector<std::string> recipients;  // RCPT TO, without the angle brackets
  std::string data;  // DATA as sent, dot-stuffing undone, without the final ".\r\n" (line ends kept as sent)
  std::string auth_mechanism;  // "PLAIN", "LOGIN", or "" when the session did not authenticate
  std::string auth_user;
  std::string auth_password;

  /// The value of the first header `name` (case-insensitive), or "" when absent.
  std::string header(const std::string& name) const;
  /// What follows the blank line that ends the headers.
  std::string body() const;
};

/// A mail server for tests: listens on 127.0.0.1 on an ephemeral port and speaks enough ESMTP for libcurl
/// (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT; STARTTLS only when offered, and then refused
/// with 454, since this sink speaks no TLS). It accepts any credentials and records them with each message.
/// One background thread serves one session at a time; every read times out (Options::io_timeout) and the
/// destructor stops the thread.
class SmtpSink {
 public:
  struct Options {
    /// Advertise STARTTLS in the EHLO answer (the command itself is answered 454).
    bool offer_starttls = false;
    /// The mechanisms advertised after "AUTH" (empty: no AUTH line).
    std::string auth_mechanisms = "PLAIN LOGIN";
    /// A verb ("MAIL", "DATA", ...) the sink never answers: from there on it reads and stays silent until the
    /// client gives up (or io_timeout passes), like a server that hangs mid-session.
    std::string stall_on;
    /// How long a session may stay silent before the sink drops it.
    std::chrono::milliseconds io_timeout{5000};
  };

  SmtpSink();
  explicit SmtpSink(Options options);
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  std::uint16_t port() const noexcept { return port_; }

  /// The message at `index` (0 first) once it has arrived, or nullopt after `timeout`.
  std::optional<SmtpMessage> wait_for(std::size_t index,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// The messages received so far.
  std::vector<SmtpMessage> messages() const;
  /// The verbs of every command received so far, upper-cased ("EHLO", "AUTH", "MAIL", "DATA", ...).
  std::vector<std::string> commands() const;
  /// Sessions accepted so far.
  std::size_t sessions() const;

 private:
  struct Session;
  void run();
  void serve(int fd);
  void record_command(const std::string& verb);

  Options options_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd: readable once the destructor wants the thread to stop
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<SmtpMessage> messages_;
  std::vector<std::string> commands_;
  std::size_t sessions_ = 0;
  std::thread thread_;
};

}  // namespace tenantry::testing

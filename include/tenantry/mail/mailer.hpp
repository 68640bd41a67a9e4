#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "tenantry/core/config.hpp"

namespace tenantry::mail {

/// One plain-text message to one recipient.
struct Message {
  std::string to;
  std::string subject;
  std::string body;
};

/// Raised by a backend that could not hand a message over; the text names no secret (no body, no password).
class MailError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where messages go (Django's e-mail backends): `file` writes each message as an .eml file, `smtp` hands it
/// to a mail server through libcurl. `deliver` blocks; the Mailer calls it off the I/O threads.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual void deliver(const std::string& from, const Message& message) = 0;
};

/// The backend named by `mail.backend`.
std::unique_ptr<Backend> make_backend(const Config& config);

/// The message as RFC 5322 text (CRLF line ends, a Date and a Message-ID), as both backends send it.
std::string render(const std::string& from, const Message& message);

/// Sends mail on a background thread so that a slow mail server never holds a request; at most `kMaxQueued`
/// messages wait, further ones are dropped with a warning (a flood must not exhaust memory). Failures are
/// logged with the recipient only: a message carries single-use links, which are secrets.
class Mailer {
 public:
  static constexpr std::size_t kMaxQueued = 1000;

  explicit Mailer(const Config& config);
  Mailer(const Config& config, std::unique_ptr<Backend> backend);
  ~Mailer();  // waits for queued messages

  void send(Message message);
  /// Messages handed over and failed so far, for tests and metrics.
  std::uint64_t sent() const noexcept { return sent_.load(); }
  std::uint64_t failed() const noexcept { return failed_.load(); }

 private:
  struct Worker;
  std::string from_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Worker> worker_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::uint64_t> sent_{0}, failed_{0};
};

}  // namespace tenantry::mail

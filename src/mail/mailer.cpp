#include "tenantry/mail/mailer.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>

namespace tenantry::mail {

namespace {

/// Header values are single lines: a CR or LF would let a caller's text add headers (or a second message).
void require_one_line(std::string_view what, std::string_view value) {
  if (value.find_first_of("\r\n") != std::string_view::npos)
    throw MailError(std::string(what) + " contains a line break");
}

/// "Name <a@b>" → "a@b"; a bare address is returned as it is.
std::string address_of(const std::string& mailbox) {
  const auto open = mailbox.rfind('<');
  const auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return mailbox.substr(open + 1, close - open - 1);
  return mailbox;
}

/// RFC 2047: a header value with non-ASCII bytes travels as =?UTF-8?B?...?= (8-bit headers get mangled).
std::string encode_header(const std::string& value) {
  if (std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return value;
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "=?UTF-8?B?";
  for (std::size_t i = 0; i < value.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(value[i]) << 16;
    if (i + 1 < value.size()) n |= static_cast<unsigned char>(value[i + 1]) << 8;
    if (i + 2 < value.size()) n |= static_cast<unsigned char>(value[i + 2]);
    out += kDigits[(n >> 18) & 63];
    out += kDigits[(n >> 12) & 63];
    out += i + 1 < value.size() ? kDigits[(n >> 6) & 63] : '=';
    out += i + 2 < value.size() ? kDigits[n & 63] : '=';
  }
  return out + "?=";
}

std::string random_hex(std::size_t bytes) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(random() & 0xff);
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 15];
  }
  return out;
}

class FileBackend final : public Backend {
 public:
  explicit FileBackend(std::filesystem::path dir) : dir_(std::move(dir)) {}

  void deliver(const std::string& from, const Message& message) override {
    const std::string text = render(from, message);
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    // Messages hold single-use links: readable by this user only.
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    const std::string stem = std::to_string(ms) + "-" + random_hex(4);
    const auto temporary = dir_ / (stem + ".tmp");
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw MailError("cannot write to " + dir_.string() + ": " + std::strerror(errno));
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    // Renamed into place whole, so that a reader never sees half a message.
    if (!written || std::rename(temporary.c_str(), (dir_ / (stem + ".eml")).c_str()) != 0) {
      std::filesystem::remove(temporary, ec);
      throw MailError("cannot write to " + dir_.string());
    }
  }

 private:
  std::filesystem::path dir_;
};

class SmtpBackend final : public Backend {
 public:
  explicit SmtpBackend(const Config::Mail& settings) : settings_(settings) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  void deliver(const std::string& from, const Message& message) override {
    struct Upload {
      std::string text;
      std::size_t offset = 0;
    } upload{render(from, message)};
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) throw MailError("libcurl failed to initialise");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
        curl_slist_append(nullptr, ("<" + address_of(message.to) + ">").c_str()), &curl_slist_free_all);
    const std::string url =
        "smtp://" + settings_.smtp_host + ":" + std::to_string(settings_.smtp_port) + "/localhost";
    const std::string sender = "<" + address_of(from) + ">";
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, sender.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.smtp_timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.smtp_timeout_ms));
    // STARTTLS required, not merely tried: credentials and links never travel in clear by accident.
    if (settings_.smtp_starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!settings_.smtp_username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, settings_.smtp_username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.smtp_password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(
        c, CURLOPT_READFUNCTION, +[](char* buffer, std::size_t size, std::size_t count, void* user) {
          auto* up = static_cast<Upload*>(user);
          const std::size_t n = std::min(size * count, up->text.size() - up->offset);
          std::memcpy(buffer, up->text.data() + up->offset, n);
          up->offset += n;
          return n;
        });
    if (const CURLcode rc = curl_easy_perform(c); rc != CURLE_OK)
      throw MailError("SMTP server " + settings_.smtp_host + ":" + std::to_string(settings_.smtp_port) +
                      ": " + curl_easy_strerror(rc));
  }

 private:
  Config::Mail settings_;
};

}  // namespace

std::string render(const std::string& from, const Message& message) {
  require_one_line("the sender", from);
  require_one_line("the recipient", message.to);
  require_one_line("the subject", message.subject);
  std::array<char, 64> date{};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(date.data(), date.size(), "%a, %d %b %Y %H:%M:%S +0000", &utc);
  std::string out = "From: " + from + "\r\nTo: " + message.to +
                    "\r\nSubject: " + encode_header(message.subject) + "\r\nDate: " + date.data() +
                    "\r\nMessage-ID: <" + random_hex(16) + "@tenantry>" +
                    "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n\r\n";
  // CRLF line ends: a bare LF and a bare CR each become CRLF. SMTP forbids both, and servers that read them
  // differently are how SMTP smuggling works ("\r.\r" ends DATA on some of them). A line that starts with a
  // dot is doubled (RFC 5321 §4.5.2) by the SMTP client itself.
  const std::string& body = message.body;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' || body[i] == '\n') {
      out += "\r\n";
      if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ++i;
    } else {
      out += body[i];
    }
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

std::unique_ptr<Backend> make_backend(const Config& config) {
  if (config.mail.backend == "smtp") return std::make_unique<SmtpBackend>(config.mail);
  const std::filesystem::path dir = config.mail.file_dir.empty()
                                        ? std::filesystem::path(config.database.var_dir) / "mail"
                                        : std::filesystem::path(config.mail.file_dir);
  return std::make_unique<FileBackend>(dir);
}

struct Mailer::Worker {
  boost::asio::thread_pool thread{1};
};

Mailer::Mailer(const Config& config) : Mailer(config, make_backend(config)) {}

Mailer::Mailer(const Config& config, std::unique_ptr<Backend> backend)
    : from_(config.mail.from), backend_(std::move(backend)), worker_(std::make_unique<Worker>()) {}

Mailer::~Mailer() {
  worker_->thread.join();
}

void Mailer::send(Message message) {
  if (queued_.fetch_add(1) >= kMaxQueued) {
    queued_.fetch_sub(1);
    failed_.fetch_add(1);
    spdlog::warn("mail to {} dropped: {} messages are already waiting", message.to, kMaxQueued);
    return;
  }
  boost::asio::post(worker_->thread, [this, message = std::move(message)] {
    try {
      backend_->deliver(from_, message);
      sent_.fetch_add(1);
    } catch (const std::exception& e) {
      failed_.fetch_add(1);
      spdlog::warn("mail to {} failed: {}", message.to, e.what());
    } catch (...) {
      // Anything else escaping a handler would end the worker thread, and with it the process.
      failed_.fetch_add(1);
      spdlog::warn("mail to {} failed", message.to);
    }
    queued_.fetch_sub(1);
  });
}

}  // namespace tenantry::mail

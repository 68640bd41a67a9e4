// The mailer: SMTP through libcurl against a local sink, the file backend, render(), and the queue bound.
#include "tenantry/mail/mailer.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "smtp_sink.hpp"

namespace tenantry::mail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::SmtpSink;

constexpr const char* kFrom = "Tenantry <no-reply@tenantry.test>";

Config smtp_config(std::uint16_t port) {
  Config config;
  config.mail.backend = "smtp";
  config.mail.from = kFrom;
  config.mail.smtp_host = "127.0.0.1";
  config.mail.smtp_port = port;
  config.mail.smtp_starttls = false;
  config.mail.smtp_username = "mailer-user";
  config.mail.smtp_password = "s3cret pass:word";
  config.mail.smtp_timeout_ms = 3000;
  return config;
}

/// Polls `done` until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// A '\r' not followed by '\n'.
bool has_bare_cr(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return true;
  return false;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// A bare '\n' anywhere (every line end must be CRLF).
bool has_bare_lf(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return true;
  return false;
}

/// A port on 127.0.0.1 that refuses connections: bound (so no one else gets it) but not listening.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
      throw std::runtime_error("cannot bind");
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 protected:
  int fd_;
  std::uint16_t port_ = 0;
};

/// A port whose connections the kernel accepts (backlog) but no one ever answers: no 220 greeting.
class SilentPort : public RefusingPort {
 public:
  SilentPort() { ::listen(fd_, 8); }
};

/// Captures what the default logger writes while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("mail-test", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// ---------------------------------------------------------------------------------------------- SMTP

class MailSmtpAuthTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MailSmtpAuthTest, DeliversEnvelopeHeadersCrlfBodyAndCredentials) {
  SmtpSink sink(SmtpSink::Options{.auth_mechanisms = GetParam()});
  const Config config = smtp_config(sink.port());
  Mailer mailer(config);
  // A line that is a lone dot would end DATA early unless the client dot-stuffs it.
  mailer.send({.to = "alice@example.com",
               .subject = "Confirm your e-mail address",
               .body = "Hello Alice,\n.starts with a dot\n.\n..two dots\nlast line\n"});
  const auto message = sink.wait_for(0);
  ASSERT_TRUE(message) << "no message arrived";
  EXPECT_EQ(message->from, "no-reply@tenantry.test");
  EXPECT_EQ(message->recipients, std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(message->header("From"), kFrom);
  EXPECT_EQ(message->header("To"), "alice@example.com");
  EXPECT_EQ(message->header("Subject"), "Confirm your e-mail address");
  EXPECT_FALSE(message->header("Date").empty());
  EXPECT_FALSE(message->header("Message-ID").empty());
  EXPECT_FALSE(has_bare_lf(message->data)) << message->data;
  EXPECT_EQ(message->body(), "Hello Alice,\r\n.starts with a dot\r\n.\r\n..two dots\r\nlast line\r\n");
  EXPECT_EQ(message->auth_mechanism, GetParam());
  EXPECT_EQ(message->auth_user, "mailer-user");
  EXPECT_EQ(message->auth_password, "s3cret pass:word");
  EXPECT_TRUE(wait_until([&] { return mailer.sent() == 1; }));
  EXPECT_EQ(mailer.failed(), 0u);
  EXPECT_EQ(sink.messages().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(MailSmtp, MailSmtpAuthTest, ::testing::Values("PLAIN", "LOGIN"),
                         [](const auto& info) { return info.param; });

TEST(MailSmtpTest, EnvelopeRecipientIsTheBareAddressOfANamedMailbox) {
  SmtpSink sink;
  Mailer mailer(smtp_config(sink.port()));
  mailer.send({.to = "Alice Example <alice@example.com>", .subject = "Hi", .body = "Hello\n"});
  const auto message = sink.wait_for(0);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->recipients, std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(message->header("To"), "Alice Example <alice@example.com>");
}

TEST(MailSmtpTest, ConsecutiveMessagesEachArrive) {
  SmtpSink sink;
  Mailer mailer(smtp_config(sink.port()));
  for (int i = 0; i < 3; ++i)
    mailer.send({.to = "user" + std::to_string(i) + "@example.com", .subject = "n" + std::to_string(i)});
  for (std::size_t i = 0; i < 3; ++i) {
    const auto message = sink.wait_for(i);
    ASSERT_TRUE(message) << "message " << i;
    EXPECT_EQ(message->recipients.at(0), "user" + std::to_string(i) + "@example.com");
    EXPECT_EQ(message->header("Subject"), "n" + std::to_string(i));
  }
  EXPECT_TRUE(wait_until([&] { return mailer.sent() == 3; }));
}

TEST(MailSmtpTest, StarttlsRequiredRefusesAServerWithoutStarttls) {
  SmtpSink sink;  // offers no STARTTLS
  Config config = smtp_config(sink.port());
  config.mail.smtp_starttls = true;
  Mailer mailer(config);
  mailer.send({.to = "alice@example.com", .subject = "Secret link", .body = "https://x/?token=secret\n"});
  ASSERT_TRUE(wait_until([&] { return mailer.failed() == 1; }));
  EXPECT_EQ(mailer.sent(), 0u);
  EXPECT_EQ(sink.sessions(), 1u);  // it did reach the server: refused for want of STARTTLS
  EXPECT_TRUE(sink.messages().empty());
  const auto commands = sink.commands();
  EXPECT_TRUE(contains(commands, "EHLO"));
  // Neither the credentials nor the message travelled in clear.
  EXPECT_FALSE(contains(commands, "AUTH"));
  EXPECT_FALSE(contains(commands, "MAIL"));
  EXPECT_FALSE(contains(commands, "DATA"));
}

TEST(MailSmtpTest, StarttlsRequiredFailsWhenTheServerDeclinesIt) {
  SmtpSink sink(SmtpSink::Options{.offer_starttls = true});  // offers STARTTLS, then answers 454
  Config config = smtp_config(sink.port());
  config.mail.smtp_starttls = true;
  Mailer mailer(config);
  mailer.send({.to = "alice@example.com", .subject = "Secret link", .body = "https://x/?token=secret\n"});
  ASSERT_TRUE(wait_until([&] { return mailer.failed() == 1; }));
  EXPECT_EQ(mailer.sent(), 0u);
  const auto commands = sink.commands();
  EXPECT_TRUE(contains(commands, "STARTTLS"));
  EXPECT_FALSE(contains(commands, "AUTH"));
  EXPECT_FALSE(contains(commands, "DATA"));
  EXPECT_TRUE(sink.messages().empty());
}

TEST(MailSmtpTest, RefusedPortFailsQuicklyWithoutThrowing) {
  const RefusingPort closed;
  Config config = smtp_config(closed.port());
  config.mail.smtp_timeout_ms = 2000;
  Mailer mailer(config);
  const auto t0 = Clock::now();
  EXPECT_NO_THROW(mailer.send({.to = "alice@example.com", .subject = "Hi", .body = "Hello\n"}));
  ASSERT_TRUE(wait_until([&] { return mailer.failed() == 1; }, 4s));
  EXPECT_LT(Clock::now() - t0, 2500ms);
  EXPECT_EQ(mailer.sent(), 0u);
}

TEST(MailSmtpTest, SilentServerFailsWithinTheTimeout) {
  const SilentPort silent;
  Config config = smtp_config(silent.port());
  config.mail.smtp_timeout_ms = 300;
  Mailer mailer(config);
  const auto t0 = Clock::now();
  EXPECT_NO_THROW(mailer.send({.to = "alice@example.com", .subject = "Hi", .body = "Hello\n"}));
  ASSERT_TRUE(wait_until([&] { return mailer.failed() == 1; }, 4s));
  const auto elapsed = Clock::now() - t0;
  EXPECT_GE(elapsed, 250ms);  // it did wait for a greeting
  EXPECT_LT(elapsed, 2000ms);
  EXPECT_EQ(mailer.sent(), 0u);
}

TEST(MailSmtpTest, ServerHangingMidSessionFailsWithinTheTimeout) {
  // Greets and authenticates, then never answers MAIL FROM: past the connect phase, only the transfer
  // timeout ends this, and without it the single mail thread would wait for good.
  SmtpSink sink(SmtpSink::Options{.stall_on = "MAIL", .io_timeout = 5s});
  Config config = smtp_config(sink.port());
  config.mail.smtp_timeout_ms = 500;
  Mailer mailer(config);
  const auto t0 = Clock::now();
  mailer.send({.to = "alice@example.com", .subject = "Hi", .body = "Hello\n"});
  ASSERT_TRUE(wait_until([&] { return mailer.failed() == 1; }, 4s));
  EXPECT_LT(Clock::now() - t0, 2500ms);
  EXPECT_TRUE(contains(sink.commands(), "MAIL"));
  EXPECT_TRUE(sink.messages().empty());
}

TEST(MailSmtpTest, FailureIsLoggedWithTheRecipientButNoSecret) {
  CapturedLog log;
  const RefusingPort closed;
  Config config = smtp_config(closed.port());
  config.mail.smtp_password = "password-never-logged";
  {
    Mailer mailer(config);
    mailer.send({.to = "bob@example.com", .subject = "Reset", .body = "token-never-logged\n"});
    ASSERT_TRUE(wait_until([&] { return mailer.failed() == 1; }));
  }
  const std::string text = log.text();
  EXPECT_NE(text.find("bob@example.com"), std::string::npos) << text;
  EXPECT_EQ(text.find("token-never-logged"), std::string::npos) << text;
  EXPECT_EQ(text.find("password-never-logged"), std::string::npos) << text;
}

TEST(MailSmtpTest, HeaderInjectionIsRefusedBeforeConnecting) {
  SmtpSink sink;
  Mailer mailer(smtp_config(sink.port()));
  mailer.send({.to = "alice@example.com", .subject = "Hi\r\nBcc: mallory@example.com", .body = "x\n"});
  mailer.send({.to = "alice@example.com\r\nRCPT TO:<mallory@example.com>", .subject = "Hi", .body = "x\n"});
  ASSERT_TRUE(wait_until([&] { return mailer.failed() == 2; }));
  EXPECT_EQ(mailer.sent(), 0u);
  EXPECT_EQ(sink.sessions(), 0u);
}

// ---------------------------------------------------------------------------------------------- file

/// A fresh directory under the test temp dir, removed afterwards.
class MailFileTest : public ::testing::Test {
 protected:
  MailFileTest() {
    std::string pattern = ::testing::TempDir() + "tenantry-mail-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~MailFileTest() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::filesystem::path root_;
};

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

/// The Date and Message-ID values blanked, to compare two renderings of one message.
std::string without_date_and_id(const std::string& text) {
  static const std::regex date("\r\nDate: [^\r\n]*"), id("\r\nMessage-ID: [^\r\n]*");
  return std::regex_replace(std::regex_replace(text, date, "\r\nDate: -"), id, "\r\nMessage-ID: -");
}

TEST_F(MailFileTest, WritesTheRenderedMessageMode0600InADirectoryMode0700) {
  const mode_t previous_umask = ::umask(0);  // the modes must not depend on the umask
  const auto dir = root_ / "var" / "mail";
  Config config;
  config.mail.backend = "file";
  config.mail.from = kFrom;
  config.mail.file_dir = dir.string();
  const Message message{.to = "alice@example.com", .subject = "Confirm", .body = "Line one\n.dot line\n"};
  {
    Mailer mailer(config);
    mailer.send(message);
    EXPECT_TRUE(wait_until([&] { return mailer.sent() + mailer.failed() == 1; }));
    EXPECT_EQ(mailer.sent(), 1u);
  }
  ::umask(previous_umask);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 1u);  // no temporary left behind
  EXPECT_EQ(files[0].extension(), ".eml");
  EXPECT_EQ(mode_of(files[0]), 0600u);
  EXPECT_EQ(mode_of(dir), 0700u);
  std::ifstream in(files[0], std::ios::binary);
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(without_date_and_id(content), without_date_and_id(render(kFrom, message)));
  EXPECT_TRUE(content.ends_with("\r\n\r\nLine one\r\n.dot line\r\n"))
      << content;  // no dot-stuffing in a file
}

TEST_F(MailFileTest, EachMessageGetsItsOwnFile) {
  Config config;
  config.mail.file_dir = (root_ / "mail").string();
  {
    Mailer mailer(config);
    for (int i = 0; i < 20; ++i)
      mailer.send({.to = "a@example.com", .subject = std::to_string(i), .body = "x"});
  }  // the destructor waits for the queue
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(root_ / "mail")) ++count;
  EXPECT_EQ(count, 20u);
}

TEST_F(MailFileTest, AnUnwritableDirectoryIsAFailureNotAThrow) {
  std::ofstream(root_ / "not-a-directory") << "x";
  Config config;
  config.mail.file_dir = (root_ / "not-a-directory" / "mail").string();
  Mailer mailer(config);
  EXPECT_NO_THROW(mailer.send({.to = "a@example.com", .subject = "s", .body = "b"}));
  EXPECT_TRUE(wait_until([&] { return mailer.failed() == 1; }));
  EXPECT_EQ(mailer.sent(), 0u);
}

// ---------------------------------------------------------------------------------------------- render

TEST(MailRenderTest, LineBreaksInHeaderFieldsAreRefused) {
  for (const std::string br : {"\r", "\n", "\r\n"}) {
    SCOPED_TRACE(br == "\r" ? "CR" : br == "\n" ? "LF" : "CRLF");
    EXPECT_THROW(render(kFrom, {.to = "a@example.com", .subject = "Hi" + br + "Bcc: m@example.com"}),
                 MailError);
    EXPECT_THROW(render(kFrom, {.to = "a@example.com" + br + "Bcc: m@example.com", .subject = "Hi"}),
                 MailError);
    EXPECT_THROW(
        render("x@example.com" + br + "Bcc: m@example.com", {.to = "a@example.com", .subject = "Hi"}),
        MailError);
  }
  EXPECT_NO_THROW(render(kFrom, {.to = "a@example.com", .subject = "Hi", .body = "two\nlines"}));
}

TEST(MailRenderTest, HeadersThenABlankLineThenTheBodyWithCrlfLineEnds) {
  const std::string text =
      render(kFrom, {.to = "a@example.com", .subject = "Subject here", .body = "one\ntwo\r\nthree\rfour"});
  EXPECT_FALSE(has_bare_lf(text)) << text;
  EXPECT_FALSE(has_bare_cr(text)) << text;
  const auto blank = text.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos);
  EXPECT_EQ(text.substr(blank + 4), "one\r\ntwo\r\nthree\r\nfour\r\n");  // a lone CR is a line end too
  const std::string head = text.substr(0, blank + 2);
  EXPECT_TRUE(
      head.starts_with("From: Tenantry <no-reply@tenantry.test>\r\nTo: a@example.com\r\n"
                       "Subject: Subject here\r\n"))
      << head;
  EXPECT_TRUE(std::regex_search(
      head,
      std::regex("\r\nDate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
                 "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} "
                 "\\+0000\r\n")))
      << head;
  EXPECT_TRUE(std::regex_search(head, std::regex("\r\nMessage-ID: <[0-9a-f]{32}@tenantry>\r\n"))) << head;
  EXPECT_NE(head.find("\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
}

TEST(MailRenderTest, EveryMessageGetsItsOwnMessageId) {
  const Message m{.to = "a@example.com", .subject = "s", .body = "b"};
  const std::regex id("Message-ID: (<[^>]+>)");
  std::smatch a, b;
  const std::string first = render(kFrom, m), second = render(kFrom, m);
  ASSERT_TRUE(std::regex_search(first, a, id));
  ASSERT_TRUE(std::regex_search(second, b, id));
  EXPECT_NE(a[1].str(), b[1].str());
}

// ---------------------------------------------------------------------------------------------- queue

/// Blocks every delivery until open() (also on destruction, so that a failing test cannot hang the Mailer).
class Gate {
 public:
  ~Gate() { open(); }
  void open() {
    const std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  /// Whether a delivery has started (and is blocked), waiting up to `timeout`.
  bool entered(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return waiting_ > 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int waiting_ = 0;
};

class GatedBackend final : public Backend {
 public:
  GatedBackend(Gate& gate, std::atomic<int>& delivered) : gate_(gate), delivered_(delivered) {}
  void deliver(const std::string&, const Message&) override {
    gate_.pass();
    ++delivered_;
  }

 private:
  Gate& gate_;
  std::atomic<int>& delivered_;
};

TEST(MailQueueTest, MessagesBeyondKMaxQueuedAreDroppedAtOnceWhileTheBackendBlocks) {
  Gate gate;
  std::atomic<int> delivered{0};
  Mailer mailer(Config{}, std::make_unique<GatedBackend>(gate, delivered));
  constexpr std::size_t kTotal = Mailer::kMaxQueued + 10;
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < kTotal; ++i)
    mailer.send({.to = "u" + std::to_string(i) + "@example.com", .subject = "s", .body = "b"});
  EXPECT_LT(Clock::now() - t0, 2s);  // send() never waits for the backend
  EXPECT_GE(mailer.failed(), 10u);   // counted immediately, while everything else waits
  EXPECT_LE(mailer.failed(), 11u);
  EXPECT_EQ(mailer.sent(), 0u);
  EXPECT_TRUE(gate.entered(2s));
  gate.open();
  ASSERT_TRUE(wait_until([&] { return mailer.sent() + mailer.failed() == kTotal; }));
  EXPECT_EQ(static_cast<std::size_t>(delivered.load()), mailer.sent());
  // The queue drained: the next message is accepted again.
  mailer.send({.to = "late@example.com", .subject = "s", .body = "b"});
  EXPECT_TRUE(wait_until([&] { return mailer.sent() + mailer.failed() == kTotal + 1; }));
  EXPECT_EQ(mailer.sent(), kTotal + 1 - mailer.failed());
  EXPECT_EQ(mailer.failed(), kTotal - Mailer::kMaxQueued);
}

TEST(MailQueueTest, TheDestructorDeliversWhatIsQueued) {
  Gate gate;
  gate.open();
  std::atomic<int> delivered{0};
  {
    Mailer mailer(Config{}, std::make_unique<GatedBackend>(gate, delivered));
    for (int i = 0; i < 50; ++i) mailer.send({.to = "a@example.com", .subject = "s", .body = "b"});
  }
  EXPECT_EQ(delivered.load(), 50);
}

class ThrowingBackend final : public Backend {
 public:
  void deliver(const std::string&, const Message&) override { throw 42; }  // not a std::exception
};

TEST(MailQueueTest, ABackendThrowingAnythingCountsAsAFailureAndTheWorkerCarriesOn) {
  Mailer mailer(Config{}, std::make_unique<ThrowingBackend>());
  mailer.send({.to = "a@example.com", .subject = "s", .body = "b"});
  mailer.send({.to = "b@example.com", .subject = "s", .body = "b"});
  EXPECT_TRUE(wait_until([&] { return mailer.failed() == 2; }));
  EXPECT_EQ(mailer.sent(), 0u);
}

}  // namespace
}  // namespace tenantry::mail

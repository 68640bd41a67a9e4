// Mail end to end: a signup over HTTP mails a verification link through SMTP (to a local sink), and the link
// verifies the address once.
#include <regex>

#include "smtp_sink.hpp"
#include "tenant_test_case.hpp"

namespace tenantry {
namespace {

using testing::json;

class MailFlowTest : public testing::TenantTestCase {
 protected:
  MailFlowTest() {
    config.mail.backend = "smtp";
    config.mail.smtp_port = sink.port();
    config.mail.smtp_starttls = false;
    config.mail.smtp_timeout_ms = 5000;
  }
  // Constructed before the body above sets the port; destroyed before the server (a mail still queued then
  // fails at once, connection refused).
  testing::SmtpSink sink;
};

TEST_F(MailFlowTest, SignupMailsAVerificationLinkThatWorksOnce) {
  const std::string email = "founder@mailflow.test";
  auto signup = request("POST", "/api/signup", {"Host: localhost", "Content-Type: application/json"},
                        R"({"name": "Mail Flow", "slug": "mailflow", "email": ")" + email +
                            R"(", "password": "long enough pw"})");
  ASSERT_EQ(signup.status, 201) << signup.body;
  EXPECT_EQ(sql("SELECT email_verified_at IS NULL FROM users WHERE email = '" + email + "'", ""), "t");

  const auto message = sink.wait_for(0);
  ASSERT_TRUE(message) << "no verification mail arrived";
  EXPECT_EQ(message->recipients, std::vector<std::string>{email});
  EXPECT_EQ(message->header("To"), email);
  EXPECT_EQ(message->header("Subject"), "Confirm your e-mail address");
  std::smatch link;
  const std::string body = message->body();
  ASSERT_TRUE(std::regex_search(
      body, link, std::regex(R"(https?://\S+(/api/auth/verify-email\?token=[A-Za-z0-9._~-]+))")))
      << body;
  const std::string target = link[1].str();

  auto verified = request("GET", target, {"Host: localhost"});
  ASSERT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(json(verified)["email_verified"], true);
  EXPECT_EQ(testing::str(json(verified)["email"]), email);
  EXPECT_EQ(sql("SELECT email_verified_at IS NOT NULL FROM users WHERE email = '" + email + "'", ""), "t");

  auto again = request("GET", target, {"Host: localhost"});
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_TRUE(std::string(json(again)["type"].as_string()).ends_with("invalid-link")) << again.body;
  EXPECT_EQ(sink.messages().size(), 1u);
}

}  // namespace
}  // namespace tenantry

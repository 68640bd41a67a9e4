#include "tenantry/auth/tokens.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <vector>

#include "tenantry/http/problem.hpp"

namespace tenantry::auth {
namespace {

class Tokens : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  const std::string key = "0123456789abcdef0123456789abcdef";
  Principal claims{.user_id = UserId{42},
                   .tenant_id = 7,
                   .role = Role::kStaff,
                   .issued_at_us = 1'700'000'000'000'000,
                   .expires_at = 1'700'003'600};
};

TEST_F(Tokens, VerifyReturnsTheSignedClaims) {
  const std::string token = tokens::sign(key, claims);
  EXPECT_TRUE(token.starts_with("tt1."));
  const Principal who = tokens::verify(key, token);
  EXPECT_EQ(who.user_id, UserId{42});
  EXPECT_EQ(who.tenant_id, 7);
  EXPECT_EQ(who.role, Role::kStaff);
  EXPECT_EQ(who.issued_at_us, claims.issued_at_us);
  EXPECT_EQ(who.expires_at, claims.expires_at);
  EXPECT_EQ(who.token_id.size(), 32u);  // 16 random bytes, hex
  EXPECT_NE(tokens::verify(key, tokens::sign(key, claims)).token_id, who.token_id);
}

TEST_F(Tokens, RefusesAnotherKeyATamperedPayloadAndGarbage) {
  const std::string token = tokens::sign(key, claims);
  EXPECT_THROW(tokens::verify("another key of thirty-two bytes!", token), http::ProblemError);
  std::string tampered = token;
  tampered[6] = tampered[6] == 'A' ? 'B' : 'A';
  EXPECT_THROW(tokens::verify(key, tampered), http::ProblemError);
  const std::vector<std::string> garbage{"", "tt1.", "tt1.abc", "tt2." + token.substr(4),
                                         token.substr(0, token.find('.', 4))};
  for (const std::string& bad : garbage) EXPECT_THROW(tokens::verify(key, bad), http::ProblemError) << bad;
}

TEST_F(Tokens, SignaturesCheckInConstantTimeAgainstTheirText) {
  const std::string mac = tokens::signature(key, "verify:42");
  EXPECT_TRUE(tokens::check_signature(key, "verify:42", mac));
  EXPECT_FALSE(tokens::check_signature(key, "verify:43", mac));
  EXPECT_FALSE(tokens::check_signature(key, "verify:42", "not base64"));
  EXPECT_EQ(tokens::new_key().size(), 64u);
}

}  // namespace
}  // namespace tenantry::auth

// The bearer-token codec through AuthService's public API, with no database: issue() signs, authenticate()
// and require*() verify. Without load() the signing key is empty; every check below holds for any key.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "problem_matchers.hpp"
#include "tenantry/auth/auth_service.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/web/metrics.hpp"
#include "tenantry/web/request_context.hpp"

namespace tenantry::auth {
namespace {

using testing::problem_of;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A request context for a store (or a public route when `tenant_id` is empty) carrying `authorization`.
/// Its pool never connects: verifying a token runs no query.
class TokenTest : public ::testing::Test {
 protected:
  TokenTest() : pool(io, db::PoolConfig{}), directory(db::ConnectOptions{}), metrics(1, 20), auth(config) {}

  template <typename F>
  auto with_context(std::optional<std::int64_t> tenant_id, const std::string& authorization, F&& f) {
    http::Request request;
    request.method = "GET";
    request.set_target("/api/me");
    if (!authorization.empty()) request.add_header("Authorization", authorization);
    const tenancy::Tenant tenant{.id = tenancy::TenantId{tenant_id.value_or(0)},
                                 .schema = db::SchemaName("store"),
                                 .state = tenancy::TenantState::kActive};
    const http::PathParams params;
    web::RequestContext ctx{request,
                            params,
                            tenant_id ? &tenant : nullptr,
                            db::Session(pool),
                            db::Session(pool),
                            config,
                            pool,
                            pool,
                            directory,
                            metrics};
    return f(ctx);
  }
  Principal authenticate(std::optional<std::int64_t> tenant_id, const std::string& token) {
    return with_context(tenant_id, "Bearer " + token, [&](auto& ctx) { return auth.authenticate(ctx); });
  }
  /// The 401/403 detail that authenticating `authorization` on tenant 7 with at least `role` answers, or
  /// "(accepted)".
  std::string refusal(const std::string& authorization, Role role = Role::kViewer,
                      std::optional<std::int64_t> tenant_id = 7, int status = 401) {
    try {
      with_context(tenant_id, authorization, [&](auto& ctx) { return auth.require(ctx, role); });
    } catch (const http::ProblemError& e) {
      EXPECT_EQ(e.problem().status, status) << e.problem().detail;
      EXPECT_EQ(e.problem().type, status == 401 ? "not-authenticated" : "permission-denied");
      return e.problem().detail;
    }
    return "(accepted)";
  }

  boost::asio::io_context io;
  db::Pool pool;
  tenancy::TenantDirectory directory;
  web::Metrics metrics;
  Config config;
  AuthService auth;
};

TEST_F(TokenTest, AnIssuedTokenAuthenticatesItsUserTenantAndRole) {
  const auto before = now_seconds();
  const IssuedToken issued = auth.issue(UserId{42}, 7, Role::kStaff);
  EXPECT_TRUE(issued.token.starts_with("tt1."));
  EXPECT_GE(issued.expires_at, before + config.auth.token_ttl_minutes * 60);
  EXPECT_LE(issued.expires_at, now_seconds() + config.auth.token_ttl_minutes * 60);

  const Principal who = authenticate(7, issued.token);
  EXPECT_EQ(who.user_id, UserId{42});
  EXPECT_EQ(who.tenant_id, 7);
  EXPECT_EQ(who.role, Role::kStaff);
  EXPECT_EQ(who.expires_at, issued.expires_at);
  EXPECT_EQ(who.token_id.size(), 32u);  // 16 random bytes in hex
  EXPECT_GE(who.issued_at_us / 1'000'000, before);
}

TEST_F(TokenTest, EveryTokenHasItsOwnId) {
  const Principal a = authenticate(7, auth.issue(UserId{42}, 7, Role::kStaff).token);
  const Principal b = authenticate(7, auth.issue(UserId{42}, 7, Role::kStaff).token);
  EXPECT_NE(a.token_id, b.token_id);
}

TEST_F(TokenTest, ATokenIsValidForItsOwnStoreOnly) {
  const std::string token = auth.issue(UserId{42}, 7, Role::kOwner).token;
  EXPECT_EQ(refusal("Bearer " + token, Role::kViewer, 8), "This token was issued for another store.");
  EXPECT_EQ(refusal("Bearer " + token, Role::kViewer, std::nullopt),
            "This token was issued for another store.");
  EXPECT_EQ(refusal("Bearer " + token, Role::kOwner, 7), "(accepted)");
}

TEST_F(TokenTest, RequireWantsAtLeastTheRole) {
  const std::string token = "Bearer " + auth.issue(UserId{42}, 7, Role::kStaff).token;
  EXPECT_EQ(refusal(token, Role::kViewer), "(accepted)");
  EXPECT_EQ(refusal(token, Role::kStaff), "(accepted)");
  EXPECT_EQ(refusal(token, Role::kAdmin, 7, 403), "This needs the admin role or higher; yours is staff.");
}

TEST_F(TokenTest, PlatformAdminTokensAreTenantZeroAndLiveTheirOwnTime) {
  config.auth.admin_token_ttl_minutes = 5;
  const IssuedToken admin = auth.issue(UserId{1}, 0, Role::kOwner);
  EXPECT_LE(admin.expires_at, now_seconds() + 5 * 60);
  const Principal who = with_context(std::nullopt, "Bearer " + admin.token,
                                     [&](auto& ctx) { return auth.require_platform_admin(ctx); });
  EXPECT_EQ(who.user_id, UserId{1});
  EXPECT_EQ(who.tenant_id, 0);
  auto p = problem_of([&] {
    with_context(std::nullopt, "Bearer " + auth.issue(UserId{1}, 7, Role::kOwner).token,
                 [&](auto& ctx) { return auth.require_platform_admin(ctx); });
  });
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 401);
  EXPECT_EQ(p->detail, "This is a store token; log in at /admin/api/auth/login.");
  EXPECT_EQ(refusal("Bearer " + admin.token), "This token was issued for another store.");
}

TEST_F(TokenTest, AnExpiredTokenIsRefused) {
  config.auth.token_ttl_minutes = 0;  // expires the second it is issued
  EXPECT_EQ(refusal("Bearer " + auth.issue(UserId{42}, 7, Role::kOwner).token),
            "The token has expired; log in again.");
}

TEST_F(TokenTest, MissingMalformedAndTamperedTokensAreRefused) {
  const std::string token = auth.issue(UserId{42}, 7, Role::kOwner).token;
  EXPECT_EQ(refusal(""), "Send 'Authorization: Bearer <token>'; log in at /api/auth/login.");
  EXPECT_EQ(refusal("Basic " + token), "Only Bearer tokens are accepted.");
  EXPECT_EQ(refusal("Bearer " + token.substr(4)), "Malformed token.");                      // no tt1. prefix
  EXPECT_EQ(refusal("Bearer " + token.substr(0, token.find('.', 4))), "Malformed token.");  // no signature
  EXPECT_EQ(refusal("Bearer tt1.!!!." + token.substr(token.find('.', 4) + 1)), "Malformed token.");
  // Any changed character of the payload or the signature breaks the signature.
  for (std::size_t i : {std::size_t{4}, std::size_t{30}, token.size() - 2}) {
    std::string changed = token;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    EXPECT_NE(refusal("Bearer " + changed), "(accepted)") << i;
  }
}

TEST_F(TokenTest, MailLinkSignaturesCheckTheirText) {
  const std::string mac = auth.signature("verify:42:1700000000");
  EXPECT_FALSE(mac.empty());
  EXPECT_EQ(mac.find_first_of("+/="), std::string::npos);  // base64url, for a link
  EXPECT_TRUE(auth.check_signature("verify:42:1700000000", mac));
  EXPECT_FALSE(auth.check_signature("verify:43:1700000000", mac));
  EXPECT_FALSE(auth.check_signature("verify:42:1700000000", mac.substr(1)));
  EXPECT_FALSE(auth.check_signature("verify:42:1700000000", ""));
}

TEST(Roles, NamesRoundTripAndOrderWeakestFirst) {
  for (Role r : {Role::kViewer, Role::kStaff, Role::kAdmin, Role::kOwner})
    EXPECT_EQ(parse_role(to_string(r)), r);
  EXPECT_EQ(to_string(Role::kAdmin), "admin");
  EXPECT_EQ(parse_role("root"), std::nullopt);
  EXPECT_EQ(parse_role("Admin"), std::nullopt);
  EXPECT_LT(Role::kViewer, Role::kStaff);
  EXPECT_LT(Role::kAdmin, Role::kOwner);
}

}  // namespace
}  // namespace tenantry::auth

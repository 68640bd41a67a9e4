// The accounts app as an attacker tries it: NULs, throttles, oracles, pre-hijacked addresses, stale tokens.
#include <thread>

#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "tenant_test_case.hpp"

namespace tenantry::apps::accounts {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::json;

class AccountSecurityTest : public testing::TenantTestCase {
 protected:
  HttpResponse login(const std::string& email, const std::string& password, const std::string& store = kStore,
                     const std::string& from = {}) {
    const std::string body =
        boost::json::serialize(boost::json::object{{"email", email}, {"password", password}});
    if (from.empty())
      return request("POST", "/api/auth/login", {"Host: " + host(store), "Content-Type: application/json"},
                     body);
    HttpClient client(port(), from);
    return client.request("POST", "/api/auth/login", {"Host: " + host(store)}, body);
  }
  HttpResponse public_post(const std::string& target, const boost::json::object& body,
                           const std::string& from = {}) {
    if (from.empty()) return request("POST", target, {"Host: localhost"}, boost::json::serialize(body));
    HttpClient client(port(), from);
    return client.request("POST", target, {"Host: localhost"}, boost::json::serialize(body));
  }
  HttpResponse signup(const std::string& slug, const std::string& email, const std::string& from = {}) {
    return public_post(
        "/api/signup",
        {{"name", "Shop " + slug}, {"slug", slug}, {"email", email}, {"password", "long enough pw"}}, from);
  }
  HttpResponse me(const std::string& token, const std::string& store = kStore) {
    return request("GET", "/api/me", {"Host: " + host(store), "Authorization: Bearer " + token});
  }
  /// Polls until `check` holds or a second has passed.
  static bool within_a_second(const std::function<bool()>& check) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!check()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
};

TEST_F(AccountSecurityTest, ANulInAnyJsonTextIsAFieldErrorNotACutValue) {
  const std::string nul_email = R"({"email": "owner@store.test\u0000x", "password": "password-123"})";
  auto store_login = request("POST", "/api/auth/login", {"Host: " + host()}, nul_email);
  EXPECT_EQ(store_login.status, 400);
  EXPECT_EQ(testing::error_fields(store_login), std::set<std::string>{"email"});
  auto admin_login = request("POST", "/admin/api/auth/login", {"Host: localhost"},
                             R"({"email": "root@platform.test\u0000x", "password": "password-123"})");
  EXPECT_EQ(admin_login.status, 400);
  auto sku = post("/api/products",
                  {{"sku", std::string("A1\0tail", 7)}, {"name", "Cable"}, {"price_cents", 1}}, "staff");
  EXPECT_EQ(sku.status, 400);
  EXPECT_EQ(testing::error_fields(sku), std::set<std::string>{"sku"});
  EXPECT_EQ(sql("SELECT count(*) FROM products"), "0");
}

TEST_F(AccountSecurityTest, ThrottlesKeyOnTheAddressAsTheDatabaseComparesIt) {
  config.auth.login_per_account_per_minute = 3;
  // Case, spaces around it, or a NUL tail (refused) never make a fresh counter.
  for (const char* spelling : {"Viewer@Store.test", " viewer@store.test ", "VIEWER@STORE.TEST"})
    EXPECT_EQ(login(spelling, "wrong password").status, 401) << spelling;
  auto limited = login("viewer@store.test", "password-123");
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.header("retry-after").empty());
  EXPECT_EQ(login(" Staff@Store.TEST", "password-123").status, 200);  // the normal form logs in
}

TEST_F(AccountSecurityTest, LoginIsLimitedPerAccountAcrossClientAddresses) {
  config.auth.login_per_account_per_minute = 4;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(
        login("viewer@store.test", "wrong password", kStore, "127.0.0." + std::to_string(10 + i)).status,
        401);
  EXPECT_EQ(login("viewer@store.test", "password-123", kStore, "127.0.0.20").status, 429);
  // Another account from those addresses is not affected.
  EXPECT_EQ(login("staff@store.test", "password-123", kStore, "127.0.0.10").status, 200);
}

TEST_F(AccountSecurityTest, LoginIsLimitedPerClientAddressAcrossAccounts) {
  config.auth.login_per_address_per_minute = 5;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(login("guess" + std::to_string(i) + "@store.test", "password-123", kStore, "127.0.0.33").status,
              401);
  // Password spraying: the next account from that address waits, even with the right password...
  EXPECT_EQ(login("staff@store.test", "password-123", kStore, "127.0.0.33").status, 429);
  // ...and so does the platform-admin login from there.
  auto admin = public_post("/admin/api/auth/login", {{"email", kPlatformAdmin}, {"password", kPassword}},
                           "127.0.0.33");
  EXPECT_EQ(admin.status, 429);
  EXPECT_EQ(login("staff@store.test", "password-123", kStore, "127.0.0.34").status, 200);
}

TEST_F(AccountSecurityTest, ThrottleCountersAreSharedByEveryServerProcess) {
  config.auth.login_per_account_per_minute = 4;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(login("viewer@store.test", "wrong password").status, 401);
  auto second = start_another_server();
  HttpClient other(second->port());
  auto r = other.request("POST", "/api/auth/login", {"Host: " + host()},
                         R"({"email": "viewer@store.test", "password": "password-123"})");
  EXPECT_EQ(r.status, 429);
  // Counters live in PostgreSQL, so memory does not grow with the keys an attacker makes up.
  EXPECT_EQ(sql("SELECT hits FROM throttle_counters WHERE bucket = 'login:account:viewer@store.test'", ""),
            "5");
  second->stop(false);
}

TEST_F(AccountSecurityTest, SignupIsLimitedPerClientAddressAndOverall) {
  config.auth.signup_per_address_per_minute = 2;
  config.auth.signup_per_minute = 3;
  EXPECT_EQ(signup("shop1", "a1@example.com", "127.0.0.41").status, 201);
  EXPECT_EQ(signup("shop2", "a2@example.com", "127.0.0.41").status, 201);
  auto third = signup("shop3", "a3@example.com", "127.0.0.41");
  EXPECT_EQ(third.status, 429);
  EXPECT_FALSE(third.header("retry-after").empty());
  EXPECT_EQ(signup("shop4", "a4@example.com", "127.0.0.42").status, 201);
  EXPECT_EQ(signup("shop5", "a5@example.com", "127.0.0.43").status, 429);  // overall
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name LIKE 'shop%'", ""), "3");
}

TEST_F(AccountSecurityTest, ASignupGetsItsStoreAtOnceAndVerifiesItsAddressByLink) {
  auto created = signup("fresh", "Founder@Example.com");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string token(json(created)["token"].as_string());
  auto before = me(token, "fresh");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(json(before)["email_verified"], false);
  const std::string mail = mail_to("founder@example.com");
  EXPECT_NE(mail.find("/api/auth/verify-email?token="), std::string::npos);
  const std::string link = link_token(mail);
  EXPECT_EQ(request("GET", "/api/auth/verify-email?token=" + link + "x", {"Host: localhost"}).status, 400);
  auto verified = request("GET", "/api/auth/verify-email?token=" + link, {"Host: localhost"});
  EXPECT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(json(me(token, "fresh"))["email_verified"], true);
  auto again = request("GET", "/api/auth/verify-email?token=" + link, {"Host: localhost"});
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(json(again)["type"], "https://tenantry.dev/problems/invalid-link");
  // The row keeps only a hash of the link's secret.
  EXPECT_EQ(sql("SELECT count(*) FROM auth_links WHERE position(nonce_hash IN '" + link + "') > 0", ""), "0");
}

TEST_F(AccountSecurityTest, AddingAMemberInvitesAndNobodyJoinsWithoutTheLink) {
  config.plans["free"].max_members = 100;
  // A known and an unknown address get the same answer.
  auto known = post("/api/members", {{"email", "owner@other.test"}, {"role", "staff"}}, "admin");
  auto unknown = post("/api/members", {{"email", "nobody@example.com"}, {"role", "staff"}}, "admin");
  ASSERT_EQ(known.status, 202) << known.body;
  ASSERT_EQ(unknown.status, 202) << unknown.body;
  auto shape = [](HttpResponse r) {
    auto o = json(r);
    o.erase("id"), o.erase("email"), o.erase("expires_at");
    return boost::json::serialize(o);
  };
  EXPECT_EQ(shape(known), shape(unknown));
  EXPECT_EQ(
      sql("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN tenants t ON t.id = "
          "m.tenant_id WHERE u.email = 'owner@other.test' AND t.schema_name = 'store'",
          ""),
      "0");
  EXPECT_EQ(json(get("/api/invitations", "admin"))["count"], 2);
  // The wrong password keeps the link usable; the right one joins, once.
  const std::string link = link_token(mail_to("owner@other.test"));
  auto wrong = public_post("/api/invitations/accept", {{"token", link}, {"password", "not the password"}});
  EXPECT_EQ(wrong.status, 401);
  auto accepted = public_post("/api/invitations/accept", {{"token", link}, {"password", kPassword}});
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(json(accepted)["role"], "staff");
  EXPECT_EQ(me(std::string(json(accepted)["token"].as_string())).status, 200);
  EXPECT_EQ(public_post("/api/invitations/accept", {{"token", link}, {"password", kPassword}}).status, 400);
  // A withdrawn invitation cannot be accepted.
  const auto pending = json(get("/api/invitations", "admin"))["results"].as_array();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(del("/api/invitations/" + std::to_string(pending[0].at("id").as_int64()), "admin").status, 204);
  auto withdrawn =
      public_post("/api/invitations/accept",
                  {{"token", link_token(mail_to("nobody@example.com"))}, {"password", "new password!"}});
  EXPECT_EQ(withdrawn.status, 400);
}

// Someone signs up first with an employee's address; the owner then invites that address.
TEST_F(AccountSecurityTest, APreHijackedAddressIsTakenBackByItsOwner) {
  config.plans["free"].max_members = 100;
  auto squat = signup("squat", "employee@example.com");
  ASSERT_EQ(squat.status, 201);
  const std::string squatter_token(json(squat)["token"].as_string());
  ASSERT_EQ(post("/api/members", {{"email", "employee@example.com"}, {"role", "staff"}}, "owner").status,
            202);
  // The squatter knows the password but has no invitation link: not a member.
  EXPECT_EQ(login("employee@example.com", "long enough pw").status, 403);
  // The real owner of the address resets the password through the mail...
  EXPECT_EQ(public_post("/api/auth/password-reset", {{"email", "employee@example.com"}}).status, 202);
  EXPECT_EQ(public_post("/api/auth/password-reset", {{"email", "nobody@example.com"}}).status, 202);
  const std::string reset = link_token(mail_to("employee@example.com", 2));  // verify, invite, reset
  auto confirmed =
      public_post("/api/auth/password-reset/confirm", {{"token", reset}, {"password", "the real owner"}});
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(
      public_post("/api/auth/password-reset/confirm", {{"token", reset}, {"password", "again again"}}).status,
      400);
  // ...which logs the squatter out everywhere and locks the old password out.
  EXPECT_EQ(me(squatter_token, "squat").status, 401);
  EXPECT_EQ(login("employee@example.com", "long enough pw", "squat").status, 401);
  // Then the invitation is accepted by the account holding the address.
  auto accepted = public_post(
      "/api/invitations/accept",
      {{"token", link_token(mail_to("employee@example.com", 1))}, {"password", "the real owner"}});
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(json(accepted)["user"].at("email_verified"), true);
}

TEST_F(AccountSecurityTest, UnverifiedAccountsArePurgedAndTheirLoneStoresArchived) {
  config.auth.unverified_account_hours = 1;
  ASSERT_EQ(signup("lonely", "lonely@example.com").status, 201);
  ASSERT_EQ(signup("recent", "recent@example.com").status, 201);
  sql("UPDATE users SET created_at = now() - interval '2 hours' WHERE email = 'lonely@example.com'", "");
  // The purge runs at start and every minute: a second server process starts one now.
  auto second = start_another_server();
  EXPECT_TRUE(within_a_second(
      [&] { return sql("SELECT count(*) FROM users WHERE email = 'lonely@example.com'", "") == "0"; }));
  EXPECT_EQ(sql("SELECT state FROM tenants WHERE schema_name = 'lonely'", ""), "archived");
  EXPECT_EQ(sql("SELECT state FROM tenants WHERE schema_name = 'recent'", ""), "active");
  EXPECT_EQ(sql("SELECT count(*) FROM users WHERE email IN ('owner@store.test', 'recent@example.com')", ""),
            "2");
  second->stop(false);
}

TEST_F(AccountSecurityTest, DisablingAUserRevokesItsTokensAtOnceEverywhere) {
  const std::string staff = token("staff");
  const std::string multi = token("multi", kOtherStore);
  const auto staff_id = sql("SELECT id FROM users WHERE email = 'staff@store.test'", "");
  auto disabled = admin("PATCH", "/admin/api/users/" + staff_id, R"({"disabled": true})");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(me(staff).status, 401);
  EXPECT_EQ(login("staff@store.test", kPassword).status, 401);
  EXPECT_EQ(json(admin("GET", "/admin/api/audit"))["results"].at(0).at("action"), "user.update");
  // By plain SQL in another process: the trigger and NOTIFY reach this one.
  ASSERT_EQ(me(multi, kOtherStore).status, 200);
  sql("UPDATE users SET is_disabled = true WHERE email = 'multi@both.test'", "");
  EXPECT_TRUE(within_a_second([&] { return me(multi, kOtherStore).status == 401; }));
}

TEST_F(AccountSecurityTest, RemovingAMembershipRevokesItsTokensInEveryProcess) {
  const std::string viewer = token("viewer");
  sql("DELETE FROM memberships WHERE user_id = (SELECT id FROM users WHERE email = 'viewer@store.test')", "");
  EXPECT_TRUE(within_a_second([&] { return me(viewer).status == 401; }));
}

TEST_F(AccountSecurityTest, PlatformAdminTokensAreShortLivedRevocableAndDieWithTheRight) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto signed_in = public_post("/admin/api/auth/login", {{"email", kPlatformAdmin}, {"password", kPassword}});
  ASSERT_EQ(signed_in.status, 200);
  const std::string token(json(signed_in)["token"].as_string());
  // RFC 3339 in one fixed form compares as text.
  const std::string latest = db::format_rfc3339(
      db::Timestamp{std::chrono::seconds{now + config.auth.admin_token_ttl_minutes * 60 + 5}});
  EXPECT_LE(std::string(json(signed_in)["expires_at"].as_string()), latest);
  auto with = [&](const std::string& method, const std::string& target) {
    return request(method, target, {"Host: localhost", "Authorization: Bearer " + token});
  };
  EXPECT_EQ(with("GET", "/admin/api/tenants").status, 200);
  EXPECT_EQ(with("POST", "/admin/api/auth/logout").status, 204);
  EXPECT_EQ(with("GET", "/admin/api/tenants").status, 401);
  // Losing the platform-admin right kills the admin token within a second, whoever changed it.
  const std::string second = admin_token();
  sql("UPDATE users SET is_platform_admin = false WHERE email = 'root@platform.test'", "");
  EXPECT_TRUE(within_a_second([&] {
    return request("GET", "/admin/api/tenants", {"Host: localhost", "Authorization: Bearer " + second})
               .status == 401;
  }));
}

TEST_F(AccountSecurityTest, ASignupOnALeftoverSchemaIsAConflictNotAnError) {
  sql("CREATE SCHEMA leftover", "");
  auto r = signup("leftover", "leftover@example.com");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name = 'leftover'", ""), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM users WHERE email = 'leftover@example.com'", ""), "0");
}

TEST_F(AccountSecurityTest, ARequestToAStoreWhoseSchemaVanishedIsUnavailableNotAnError) {
  ASSERT_EQ(get("/api/products", "owner", kOtherStore).status, 200);
  sql("DROP SCHEMA other CASCADE", "");
  auto r = get("/api/products", "owner", kOtherStore);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(r.header("retry-after").empty());
}

TEST_F(AccountSecurityTest, StoreNamesAreSingleLinesAndMailSubjectsAreEncoded) {
  config.plans["free"].max_members = 100;
  auto broken = public_post("/api/signup", {{"name", "Evil\r\nBcc: victim@example.com"},
                                            {"slug", "evil"},
                                            {"email", "evil@example.com"},
                                            {"password", "long enough pw"}});
  EXPECT_EQ(broken.status, 400) << broken.body;
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name = 'evil'", ""), "0");
  ASSERT_EQ(patch("/admin/api/tenants/store", {{"name", "Café Crème"}}, "").status,
            404);  // not a store route
  auto renamed = admin("PATCH", "/admin/api/tenants/store", R"({"name": "Café Crème"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  ASSERT_EQ(post("/api/members", {{"email", "guest@example.com"}, {"role", "viewer"}}, "owner").status, 202);
  const std::string mail = mail_to("guest@example.com");
  EXPECT_NE(mail.find("\r\nSubject: =?UTF-8?B?"), std::string::npos) << mail;
  EXPECT_EQ(admin("PATCH", "/admin/api/tenants/store", "{\"name\": \"Two\\nLines\"}").status, 400);
}

}  // namespace
}  // namespace tenantry::apps::accounts

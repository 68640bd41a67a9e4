// Accounts over HTTP: signup, login per store, tokens, members and their roles.
#include <thread>

#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "tenant_test_case.hpp"

namespace tenantry::apps::accounts {
namespace {

using testing::json;

class AccountsTest : public testing::TenantTestCase {};

TEST_F(AccountsTest, SignupCreatesAStoreItsDomainAndAnOwnerToken) {
  auto r = request(
      "POST", "/api/signup", {"Host: localhost"},
      R"({"name": "New Shop", "slug": "newshop", "email": "Founder@Example.com", "password": "long enough pw"})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto body = json(r);
  EXPECT_EQ(body["tenant"].at("plan"), "free");
  EXPECT_EQ(body["tenant"].at("domains").at(0).at("domain"), "newshop.localhost");
  EXPECT_EQ(body["user"].at("email"), "founder@example.com");
  const std::string token(body["token"].as_string());
  auto me = request("GET", "/api/me", {"Host: newshop.localhost", "Authorization: Bearer " + token});
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json(me)["role"], "owner");
  EXPECT_EQ(sql("SELECT count(*) FROM products", "newshop"), "0");
}

TEST_F(AccountsTest, SignupRejectsBadInputWithFieldErrorsAndTakenSlugs) {
  auto bad = request("POST", "/api/signup", {"Host: localhost"},
                     R"({"name": "", "slug": "Bad Slug", "email": "not-an-email", "password": "short"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(testing::error_fields(bad), (std::set<std::string>{"name", "slug", "email", "password"}));
  auto taken = request(
      "POST", "/api/signup", {"Host: localhost"},
      R"({"name": "Again", "slug": "store", "email": "x@example.com", "password": "long enough pw"})");
  EXPECT_EQ(taken.status, 409);
  // An existing e-mail gets one fixed answer whatever the password: signup tests no passwords.
  auto wrong = request(
      "POST", "/api/signup", {"Host: localhost"},
      R"({"name": "Second", "slug": "second", "email": "owner@store.test", "password": "not the password"})");
  auto right = request(
      "POST", "/api/signup", {"Host: localhost"},
      R"({"name": "Second", "slug": "second", "email": "owner@store.test", "password": "password-123"})");
  EXPECT_EQ(wrong.status, 409);
  EXPECT_EQ(right.status, 409);
  EXPECT_EQ(wrong.body, right.body);
  EXPECT_EQ(json(right)["type"], "https://tenantry.dev/problems/account-exists");
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name = 'second'", ""), "0");
  // The account creates its store by logging in.
  auto bad_password = request(
      "POST", "/api/stores", {"Host: localhost"},
      R"({"name": "Second", "slug": "second", "email": "owner@store.test", "password": "not the password"})");
  EXPECT_EQ(bad_password.status, 401);
  auto created = request(
      "POST", "/api/stores", {"Host: localhost"},
      R"({"name": "Second", "slug": "second", "email": "Owner@Store.test", "password": "password-123"})");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(sql("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = "
                "'owner@store.test'",
                ""),
            "2");
}

TEST_F(AccountsTest, TokensAreValidOnlyForTheirStore) {
  const std::string store_token = token("owner");
  auto elsewhere =
      request("GET", "/api/me", {"Host: " + host(kOtherStore), "Authorization: Bearer " + store_token});
  EXPECT_EQ(elsewhere.status, 401);
  EXPECT_EQ(get("/api/me", "").status, 401);
  EXPECT_EQ(request("GET", "/api/me", {"Host: " + host(), "Authorization: Bearer tt1.forged.token"}).status,
            401);
  // A user who is no member of "other" cannot log in there.
  auto not_member = request("POST", "/api/auth/login", {"Host: " + host(kOtherStore)},
                            R"({"email": "staff@store.test", "password": "password-123"})");
  EXPECT_EQ(not_member.status, 403);
}

TEST_F(AccountsTest, OneUserHasADifferentRoleInEachStore) {
  EXPECT_EQ(json(get("/api/me", "multi"))["role"], "staff");
  EXPECT_EQ(json(get("/api/me", "multi", kOtherStore))["role"], "admin");
}

TEST_F(AccountsTest, LogoutRevokesTheTokenAtOnce) {
  const std::string t = token("staff");
  EXPECT_EQ(get("/api/me", "staff").status, 200);
  EXPECT_EQ(post("/api/auth/logout", boost::json::object{}, "staff").status, 204);
  auto after = request("GET", "/api/me", {"Host: " + host(), "Authorization: Bearer " + t});
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.body.find("revoked"), std::string::npos);
}

// Another server process on the same database learns of the logout through NOTIFY.
TEST_F(AccountsTest, ALogoutIsRefusedByOtherServerProcessesWithinASecond) {
  const std::string t = token("staff");
  auto second = start_another_server();
  testing::HttpClient other(second->port());
  const std::vector<std::string> headers{"Host: " + host(), "Authorization: Bearer " + t};
  ASSERT_EQ(other.request("GET", "/api/me", headers).status, 200);
  ASSERT_EQ(post("/api/auth/logout", boost::json::object{}, "staff").status, 204);
  const auto start = std::chrono::steady_clock::now();
  int status = 200;
  while (status == 200 && std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
    status = other.request("GET", "/api/me", headers).status;
    if (status == 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 401);
  second->stop(false);
}

TEST_F(AccountsTest, WrongPasswordsAreRateLimitedPerAccount) {
  int last = 0;
  for (int i = 0; i < 12; ++i)
    last = request("POST", "/api/auth/login", {"Host: " + host()},
                   R"({"email": "viewer@store.test", "password": "wrong password"})")
               .status;
  EXPECT_EQ(last, 429);
  auto limited = request("POST", "/api/auth/login", {"Host: " + host()},
                         R"({"email": "viewer@store.test", "password": "wrong password"})");
  EXPECT_FALSE(limited.header("retry-after").empty());
}

TEST_F(AccountsTest, MembersAreManagedByOwnersAndAdminsOnly) {
  config.plans["free"].max_members = 100;
  sql("INSERT INTO users (email, password_hash) VALUES ('newbie@example.com', 'x') RETURNING id", "");
  for (const char* role : {"staff", "viewer"}) {
    EXPECT_EQ(get("/api/members", role).status, 403) << role;
    EXPECT_EQ(post("/api/members", {{"email", "newbie@example.com"}, {"role", "viewer"}}, role).status, 403)
        << role;
  }
  auto list = get("/api/members", "admin");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json(list)["count"], 5);
  // Adding a member invites them; an existing member is a conflict.
  auto invited = post("/api/members", {{"email", "fresh@example.com"}, {"role", "viewer"}}, "admin");
  ASSERT_EQ(invited.status, 202) << invited.body;
  auto accepted =
      request("POST", "/api/invitations/accept", {"Host: localhost"},
              boost::json::serialize(boost::json::object{{"token", link_token(mail_to("fresh@example.com"))},
                                                         {"password", "fresh password"}}));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  const auto id = json(accepted)["user"].at("id").as_int64();
  EXPECT_EQ(post("/api/members", {{"email", "fresh@example.com"}, {"role", "viewer"}}, "admin").status, 409);
  EXPECT_EQ(post("/api/members", {{"email", "newbie@example.com"}, {"role", "emperor"}}, "admin").status,
            400);
  EXPECT_EQ(patch("/api/members/" + std::to_string(id), {{"role", "staff"}}, "admin").status, 200);
  EXPECT_EQ(patch("/api/members/" + std::to_string(id), {{"role", "owner"}}, "admin").status, 403);
  EXPECT_EQ(del("/api/members/" + std::to_string(id), "admin").status, 204);
  EXPECT_EQ(del("/api/members/" + std::to_string(id), "admin").status, 404);
  EXPECT_EQ(get("/api/members/abc", "admin").status, 404);
}

TEST_F(AccountsTest, TheLastOwnerCannotBeRemovedOrDemoted) {
  const auto owner_id = sql("SELECT id FROM users WHERE email = 'owner@store.test'", "");
  EXPECT_EQ(patch("/api/members/" + owner_id, {{"role", "admin"}}, "owner").status, 409);
  EXPECT_EQ(del("/api/members/" + owner_id, "owner").status, 409);
  EXPECT_EQ(del("/api/members/" + owner_id, "admin").status, 403);
}

TEST_F(AccountsTest, ARoleChangeRevokesTheMembersTokens) {
  config.plans["free"].max_members = 100;
  const std::string old_token = token("staff");
  const auto staff_id = sql("SELECT id FROM users WHERE email = 'staff@store.test'", "");
  ASSERT_EQ(patch("/api/members/" + staff_id, {{"role", "viewer"}}, "owner").status, 200);
  EXPECT_EQ(request("GET", "/api/me", {"Host: " + host(), "Authorization: Bearer " + old_token}).status, 401);
}

TEST_F(AccountsTest, MemberLimitOfThePlan) {
  config.plans["free"].max_members = 5;  // the store has 5
  sql("INSERT INTO users (email, password_hash) VALUES ('newbie@example.com', 'x') RETURNING id", "");
  auto r = post("/api/members", {{"email", "newbie@example.com"}, {"role", "viewer"}}, "owner");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(json(r)["limit"], "max_members");
}

}  // namespace
}  // namespace tenantry::apps::accounts

// POST /admin/api/tenants with "owner": a verified account becomes the new tenant's owner in its own
// transaction; anyone else gets an owner invitation by mail, and becomes owner by accepting it.
#include "tenant_test_case.hpp"

namespace tenantry {
namespace {

class AdminOwnerTest : public testing::TenantTestCase {};

TEST_F(AdminOwnerTest, AVerifiedAccountBecomesOwnerAtOnce) {
  const std::string staff = email("staff");
  sql("UPDATE users SET email_verified_at = now() WHERE email = '" + staff + "' RETURNING id", "");
  auto created = admin("POST", "/admin/api/tenants",
                       R"({"slug": "fresh", "name": "Fresh", "owner": ")" + staff + R"("})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json(created)["owner"].at("status"), "member");
  EXPECT_EQ(json(created)["domains"].at(0).at("domain"), "fresh.localhost");
  EXPECT_EQ(
      sql("SELECT m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id JOIN users u ON u.id = "
          "m.user_id WHERE t.schema_name = 'fresh' AND u.email = '" +
              staff + "'",
          ""),
      "owner");
  EXPECT_EQ(mail_count(staff), 0u);
}

TEST_F(AdminOwnerTest, AnyoneElseIsInvitedAndOwnsTheStoreOnceAccepted) {
  auto created = admin("POST", "/admin/api/tenants",
                       R"({"slug": "fresh", "name": "Fresh", "owner": "New.Owner@Example.com"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto owner = json(created)["owner"].as_object();
  EXPECT_EQ(owner.at("status"), "invited");
  EXPECT_EQ(owner.at("email"), "new.owner@example.com");
  EXPECT_EQ(
      sql("SELECT count(*) FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE t.schema_name = "
          "'fresh'",
          ""),
      "0");
  // The invitation names the platform admin who sent it.
  EXPECT_EQ(sql("SELECT u.email FROM auth_links l JOIN users u ON u.id = l.created_by WHERE l.id = " +
                    std::to_string(owner.at("invitation_id").as_int64()),
                ""),
            "root@platform.test");
  const std::string message = mail_to("new.owner@example.com");
  EXPECT_NE(message.find("as owner"), std::string::npos) << message;
  auto accepted = request("POST", "/api/invitations/accept", {"Host: localhost"},
                          boost::json::serialize(boost::json::object{{"token", link_token(message)},
                                                                     {"password", "new owner pw"}}));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(sql("SELECT m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE t.schema_name = "
                "'fresh'",
                ""),
            "owner");
}

TEST_F(AdminOwnerTest, ABadOwnerIsAFieldErrorAndCreatesNothing) {
  auto bad =
      admin("POST", "/admin/api/tenants", R"({"slug": "fresh", "name": "Fresh", "owner": "not an address"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(json(bad)["errors"].at(0).at("field"), "owner");
  EXPECT_EQ(sql("SELECT count(*) FROM tenants WHERE schema_name = 'fresh'", ""), "0");
}

}  // namespace
}  // namespace tenantry

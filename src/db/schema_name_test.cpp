#include <gtest/gtest.h>

#include "tenantry/db/schema_name.hpp"

namespace tenantry::db {
namespace {

TEST(SchemaName, AcceptsSlugs) {
  EXPECT_EQ(SchemaName("acme").str(), "acme");
  EXPECT_NO_THROW(SchemaName("store_1"));
  EXPECT_NO_THROW(SchemaName(std::string(63, 'a')));
}

TEST(SchemaName, RejectsDangerousAndReservedNames) {
  for (const std::string bad : {"", "Acme", "ac me", "acme\"; DROP SCHEMA public; --", "a'b", "pg_x",
                                "public", "information_schema", "1store", "_x", "store-1", "caf\xc3\xa9"})
    EXPECT_THROW(SchemaName{bad}, ValidationError) << bad;
  EXPECT_THROW(SchemaName(std::string(64, 'a')), ValidationError);
  EXPECT_NE(SchemaName::why_invalid("pg_x").find("pg_"), std::string::npos);
}

TEST(SchemaName, PublicHasOneSpelling) {
  EXPECT_EQ(SchemaName::public_schema().str(), "public");
  EXPECT_TRUE(SchemaName::public_schema().is_public());
  EXPECT_FALSE(SchemaName("acme").is_public());
  EXPECT_EQ(&SchemaName::public_schema(), &SchemaName::public_schema());
}

TEST(SchemaName, TenantryOwnedNamesTakeThePrefixTenantsCannot) {
  EXPECT_EQ(SchemaName::tenantry_owned("spare_0a").str(), "tenantry_spare_0a");
  EXPECT_FALSE(SchemaName::tenantry_owned("doctor_1").is_public());
  EXPECT_THROW(SchemaName::tenantry_owned("Bad"), ValidationError);
  EXPECT_THROW(SchemaName::tenantry_owned(std::string(60, 'a')), ValidationError);
}

}  // namespace
}  // namespace tenantry::db

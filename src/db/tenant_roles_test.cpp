#include "tenantry/db/tenant_roles.hpp"

#include <gtest/gtest.h>

namespace tenantry::db {
namespace {

TEST(TenantRoleName, IsTheSchemaAtTheDatabase) {
  EXPECT_EQ(tenant_role_name("tenantry", SchemaName("acme")), "acme@tenantry");
  // Databases with underscores cannot make two tenants share a role: the schema part ends at the '@'.
  EXPECT_NE(tenant_role_name("a_b", SchemaName("c")), tenant_role_name("a", SchemaName("b_c")));
}

TEST(TenantRoleName, LongNamesFitPostgresLimitAndStayDistinct) {
  const SchemaName long_schema(std::string(63, 'a'));
  const std::string one = tenant_role_name("tenantry", long_schema);
  const std::string other = tenant_role_name("tenantry2", long_schema);
  EXPECT_EQ(one.size(), 63U);
  EXPECT_EQ(one.substr(0, 54), std::string(54, 'a'));
  EXPECT_EQ(one[54], '#');
  EXPECT_NE(one, other);
  EXPECT_EQ(one, tenant_role_name("tenantry", long_schema)) << "the same inputs give the same name";
}

TEST(TenantRoleName, CutsLongDatabaseNamesOnCharacterBoundaries) {
  // 'é' is two bytes: a cut through it would make a name PostgreSQL refuses as invalid UTF-8.
  std::string database;
  for (int i = 0; i < 40; ++i) database += "\xc3\xa9";
  const std::string name = tenant_role_name(database, SchemaName("shop"));
  EXPECT_LE(name.size(), 63U);
  const std::size_t hash = name.find('#');
  ASSERT_NE(hash, std::string::npos);
  EXPECT_EQ((hash - 5) % 2, 0U) << "whole two-byte characters after 'shop@'";
}

}  // namespace
}  // namespace tenantry::db

#include <gtest/gtest.h>

#include "tenantry/tenancy/domain_name.hpp"
#include "tenantry/tenancy/schema_name.hpp"

namespace tenantry::tenancy {
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

TEST(DomainName, NormalisesCaseAndTrailingDot) {
  EXPECT_EQ(DomainName("Store1.Example.COM.").str(), "store1.example.com");
  EXPECT_EQ(DomainName("localhost").str(), "localhost");
  EXPECT_EQ(DomainName("xn--caf-dma.example").str(), "xn--caf-dma.example");
}

TEST(DomainName, RejectsInvalidHostnames) {
  for (const std::string bad : {"", "a..b", "-a.com", "a-.com", "a b.com", "a\"b.com", "a'b.com",
                                "under_score.com", "host:80", ".", "a/b"})
    EXPECT_THROW(DomainName{bad}, ValidationError) << bad;
  EXPECT_THROW(DomainName(std::string(64, 'a') + ".com"), ValidationError);
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  EXPECT_THROW(DomainName{long_name + "com"}, ValidationError);
}

}  // namespace
}  // namespace tenantry::tenancy

#include <gtest/gtest.h>

#include "tenantry/tenancy/domain_name.hpp"

namespace tenantry::tenancy {
namespace {

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

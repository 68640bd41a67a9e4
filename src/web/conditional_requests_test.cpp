#include "web/detail/conditional_requests.hpp"

#include <gtest/gtest.h>

namespace tenantry::web::detail {
namespace {

TEST(ConditionalRequests, TagsAreQuotedHashesOfTheBytes) {
  const std::string a = entity_tag(R"({"id":1})");
  EXPECT_EQ(a.size(), 34u);
  EXPECT_EQ(a.front(), '"');
  EXPECT_EQ(a, entity_tag(R"({"id":1})"));
  EXPECT_NE(a, entity_tag(R"({"id":2})"));
}

TEST(ConditionalRequests, NoneMatchIsWeakAndMatchIsStrong) {
  const std::string tag = entity_tag("x");
  EXPECT_TRUE(none_match_hits(tag, tag));
  EXPECT_TRUE(none_match_hits("\"other\", W/" + tag, tag));
  EXPECT_TRUE(none_match_hits(" * ", tag));
  EXPECT_FALSE(none_match_hits("\"other\"", tag));
  EXPECT_TRUE(match_hits("\"other\" , " + tag, tag));
  EXPECT_FALSE(match_hits("W/" + tag, tag));
  EXPECT_TRUE(match_hits("*", tag));
  EXPECT_FALSE(match_hits("", tag));
}

}  // namespace
}  // namespace tenantry::web::detail

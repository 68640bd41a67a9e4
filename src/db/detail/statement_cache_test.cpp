#include "db/detail/statement_cache.hpp"

#include <gtest/gtest.h>

namespace tenantry::db::detail {
namespace {

TEST(StatementCacheTest, OneStatementPerSchemaAndSql) {
  StatementCache cache(8);
  const std::string a = cache.add("store1", "SELECT 1");
  const std::string b = cache.add("store2", "SELECT 1");
  EXPECT_NE(a, b);
  ASSERT_NE(cache.find("store1", "SELECT 1"), nullptr);
  EXPECT_EQ(*cache.find("store1", "SELECT 1"), a);
  EXPECT_EQ(*cache.find("store2", "SELECT 1"), b);
  EXPECT_EQ(cache.find("store3", "SELECT 1"), nullptr);
  // The separator keeps ("a", "bSELECT") and ("ab", "SELECT") apart.
  cache.add("a", "bSELECT");
  EXPECT_EQ(cache.find("ab", "SELECT"), nullptr);
}

TEST(StatementCacheTest, EvictsTheLeastRecentlyUsedAndQueuesItForDeallocation) {
  StatementCache cache(2);
  const std::string first = cache.add("s", "q1");
  cache.add("s", "q2");
  ASSERT_NE(cache.find("s", "q1"), nullptr);  // q2 is now the least recently used
  cache.add("s", "q3");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.find("s", "q1"), nullptr);
  EXPECT_EQ(cache.find("s", "q2"), nullptr);
  const auto gone = cache.take_deallocations();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_NE(gone[0], first);
  EXPECT_FALSE(cache.has_deallocations());
}

TEST(StatementCacheTest, ForgottenStatementsAreDeallocatedOnlyIfPrepared) {
  StatementCache cache(4);
  const std::string prepared = cache.add("s", "good");
  cache.add("s", "bad");
  cache.forget("s", "bad", false);  // its prepare failed: nothing exists on the server
  cache.forget("s", "good", true);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.take_deallocations(), std::vector<std::string>{prepared});
  cache.forget("s", "never added", true);
  EXPECT_FALSE(cache.has_deallocations());
}

}  // namespace
}  // namespace tenantry::db::detail

// The installed apps' tenant migrations stay Citus-friendly (schema-based sharding converts only plain
// top-level CREATE TABLE statements; int ids, triggers and inheritance break distributed tenants).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "apps/registry.hpp"

namespace tenantry::migrations {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

TEST(MigrationLint, TenantMigrationsAreCitusFriendly) {
  const std::vector<std::pair<std::regex, const char*>> forbidden{
      {std::regex(R"(\bdo\s*(\$|'))"), "a DO block (CREATE TABLE inside it would stay local)"},
      {std::regex(R"(\bcreate\s+(or\s+replace\s+)?(function|procedure)\b)"), "a function"},
      {std::regex(R"(\bcreate\s+(constraint\s+)?trigger\b)"), "a trigger"},
      {std::regex(R"(\binherits\s*\()"), "inheritance"},
      {std::regex(R"(\b(small)?serial\b)"), "serial (use bigint identity)"},
      {std::regex(R"(\bid\s+(int|integer|int4|smallint)\b)"), "an int id (use bigint)"},
      {std::regex(R"(\bcreate\s+index\s+concurrently\b)"),
       "CREATE INDEX CONCURRENTLY (migrations run in transactions)"},
  };
  int checked = 0;
  for (const App* app : apps::installed()) {
    for (const MigrationSource& m : app->tenant) {
      const std::string sql = lower(m.sql);
      for (const auto& [pattern, what] : forbidden)
        EXPECT_FALSE(std::regex_search(sql, pattern)) << app->name << "/" << m.name << " contains " << what;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(MigrationLint, NamesAreNumberedAndOrdered) {
  for (const App* app : apps::installed())
    for (auto list : {app->shared, app->tenant})
      for (std::size_t i = 0; i < list.size(); ++i) {
        std::string expected = std::to_string(i + 1);
        expected.insert(0, 4 - std::min<std::size_t>(4, expected.size()), '0');
        EXPECT_EQ(list[i].name.substr(0, 4), expected) << app->name << "/" << list[i].name;
      }
}

}  // namespace
}  // namespace tenantry::migrations

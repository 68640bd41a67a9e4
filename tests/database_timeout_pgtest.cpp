// The server's database sessions run with database.lock_timeout_ms and database.statement_timeout_ms: a
// request stuck behind a lock (a migration's ALTER TABLE, a long transaction) answers 503 database-timeout
// with Retry-After in bounded time, and the other stores are served meanwhile.
#include <chrono>
#include <string>

#include "tenant_test_case.hpp"

namespace tenantry {
namespace {

using namespace std::chrono_literals;
using testing::json;
using testing::str;

class DatabaseTimeoutTest : public testing::TenantTestCase {
 protected:
  /// Holds an ACCESS EXCLUSIVE lock on a store's products table from a session of the test, in an open
  /// transaction, as a migration's ALTER TABLE would.
  void lock_products(testing::AdminSession& holder, const std::string& store) {
    holder.exec("BEGIN");
    holder.exec("LOCK TABLE " + store + ".products IN ACCESS EXCLUSIVE MODE");
  }
  /// GET /api/products on the locked store: a 503 database-timeout after about `timeout`.
  void expect_timeout_after(std::chrono::milliseconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    auto blocked = get("/api/products", "viewer");
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(blocked.status, 503) << blocked.body;
    EXPECT_NE(str(json(blocked)["type"]).find("database-timeout"), std::string::npos) << blocked.body;
    EXPECT_EQ(blocked.header("retry-after"), "2");
    EXPECT_GE(waited, timeout - 50ms);
    EXPECT_LT(waited, timeout + 3s);
  }
};

TEST_F(DatabaseTimeoutTest, ARequestBehindATableLockAnswers503AfterTheLockTimeout) {
  config.database.lock_timeout_ms = 300;
  token("viewer");
  token("owner", kOtherStore);  // logged in before the lock
  testing::AdminSession holder(database().name());
  lock_products(holder, kStore);
  expect_timeout_after(300ms);
  auto other = get("/api/products", "owner", kOtherStore);
  EXPECT_EQ(other.status, 200) << other.body;
  holder.exec("ROLLBACK");
  auto after = get("/api/products", "viewer");
  EXPECT_EQ(after.status, 200) << after.body;
}

TEST_F(DatabaseTimeoutTest, WithoutALockTimeoutTheStatementTimeoutEndsTheWait) {
  config.database.lock_timeout_ms = 0;  // off
  config.database.statement_timeout_ms = 300;
  token("viewer");
  token("owner", kOtherStore);
  testing::AdminSession holder(database().name());
  lock_products(holder, kStore);
  expect_timeout_after(300ms);
  auto other = get("/api/products", "owner", kOtherStore);
  EXPECT_EQ(other.status, 200) << other.body;
  holder.exec("ROLLBACK");
  EXPECT_EQ(get("/api/products", "viewer").status, 200);
}

}  // namespace
}  // namespace tenantry

#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <set>
#include <string>

#include "http_client.hpp"
#include "tenantry/core/config.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/application.hpp"
#include "test_database.hpp"

namespace tenantry::testing {

/// The way to test a Tenantry app end to end (our TenantTestCase). Each test gets its own database copied
/// from a template prepared once per test run (shared migrations applied, two migrated stores, one user per
/// role), so nothing is re-migrated per test; a server runs on an ephemeral port with every installed app.
///
///   class ProductsTest : public TenantTestCase {};
///   TEST_F(ProductsTest, StaffCanCreate) {
///     auto r = post("/api/products", {{"sku", "A1"}, {"name", "Cable"}, {"price_cents", 100}}, "staff");
///     EXPECT_EQ(r.status, 201);
///   }
///
/// Stores: "store" (host store.localhost, plan free) with users owner@store.test, admin@store.test,
/// staff@store.test and viewer@store.test; "other" (other.localhost) with owner@other.test. Every password is
/// kPassword. multi@both.test is staff in "store" and admin in "other".
class TenantTestCase : public ::testing::Test {
 public:
  static constexpr const char* kPassword = "password-123";
  static constexpr const char* kStore = "store";
  static constexpr const char* kOtherStore = "other";
  /// A platform admin (users.is_platform_admin), for /admin/api/.
  static constexpr const char* kPlatformAdmin = "root@platform.test";
  /// The fixture's server.metrics_token, which metrics() sends.
  static constexpr const char* kMetricsToken = "test-metrics-token-0123456789";

  /// The host of a store, e.g. "store.localhost".
  static std::string host(const std::string& store = kStore) { return store + ".localhost"; }
  /// The e-mail of the template user with `role` in `store`.
  static std::string email(const std::string& role, const std::string& store = kStore);

 protected:
  TenantTestCase();
  ~TenantTestCase() override;

  /// Change before start() (e.g. plans); start() happens on first use of the client.
  Config config;

  /// A token for `role` ("owner", "admin", "staff", "viewer") in `store`, by logging in over HTTP (cached).
  std::string token(const std::string& role, const std::string& store = kStore);
  /// Requests to `store` as `role` (empty role: anonymous).
  HttpResponse get(const std::string& target, const std::string& role = "owner",
                   const std::string& store = kStore);
  HttpResponse post(const std::string& target, const boost::json::value& body,
                    const std::string& role = "owner", const std::string& store = kStore);
  HttpResponse patch(const std::string& target, const boost::json::value& body,
                     const std::string& role = "owner", const std::string& store = kStore);
  HttpResponse put(const std::string& target, const boost::json::value& body,
                   const std::string& role = "owner", const std::string& store = kStore);
  HttpResponse del(const std::string& target, const std::string& role = "owner",
                   const std::string& store = kStore);
  /// A platform-admin token (logged in once per test).
  std::string admin_token();
  /// A request to the admin API on the public host, as the platform admin.
  HttpResponse admin(const std::string& method, const std::string& target, const std::string& body = "");
  /// Any request; `headers` are "Name: value" lines and must include Host.
  HttpResponse request(const std::string& method, const std::string& target, std::vector<std::string> headers,
                       const std::string& body = "");

  /// GET /metrics on the public host with `Authorization: Bearer <config.server.metrics_token>`.
  HttpResponse metrics();

  /// Runs SQL in a store's schema (or public for ""), returning the first column of the first row as text.
  std::string sql(const std::string& statement, const std::string& schema = kStore);

  /// The text of the first message mailed to `to` after `skip` earlier ones, waiting up to 5 s for it (the
  /// file backend writes into a directory of this test).
  std::string mail_to(const std::string& to, std::size_t skip = 0);
  /// How many messages were mailed to `to` so far.
  std::size_t mail_count(const std::string& to);
  /// The token of the first `token=` link in a message.
  static std::string link_token(const std::string& message);

  /// Another server process on this test's database, with `config` as it is (e.g. to see that a change made
  /// through one process reaches the others); stop it before the test ends.
  std::unique_ptr<web::Application> start_another_server();

  std::uint16_t port();
  /// The port of server.metrics_listen (set it to "127.0.0.1:0" first); 0 without one.
  std::uint16_t metrics_port();
  const TestDatabase& database() const { return *database_; }
  /// The server's two roles on this test's database (the cluster's tenantry_app and tenantry_owner).
  web::DatabaseUrls urls() const;

 private:
  HttpResponse send(const std::string& method, const std::string& target, const std::string& role,
                    const std::string& store, const std::string& body);
  void start();

  std::vector<std::string> mails(const std::string& to);

  std::unique_ptr<TestDatabase> database_;
  std::string mail_dir_;
  std::unique_ptr<web::Application> app_;
  std::unique_ptr<HttpClient> client_;
  std::map<std::string, std::string> tokens_;
};

/// The migration plans of every installed app, built once.
const migrations::MigrationPlan& shared_plan();
const migrations::MigrationPlan& tenant_plan();

/// The JSON body of a response (an empty object when the body is empty).
boost::json::object json(const HttpResponse& response);

/// A JSON value as text, to compare with std::string (a string's contents, else its JSON).
std::string str(const boost::json::value& value);

/// The fields named by a validation problem's "errors".
std::set<std::string> error_fields(const HttpResponse& response);

}  // namespace tenantry::testing

// Configuration that must not weaken security, through the real `tenantry` binary: plans from the file,
// secrets masked wherever a setting is printed, the header resolver's trusted networks, public hosts that no
// tenant may claim as its domain.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "http_client.hpp"
#include "serve_process.hpp"
#include "tenantry/db/session.hpp"
#include "test_database.hpp"

namespace tenantry {
namespace {

using testing::CommandOutcome;
using testing::HttpClient;
using testing::ServeProcess;
/// Variables to set; nullopt removes one.
using Env = testing::Environment;

class ConfigSecurityTest : public testing::PgTest {
 protected:
  ConfigSecurityTest() {
    std::string tmpl = ::testing::TempDir() + "tenantry-config-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~ConfigSecurityTest() override { std::filesystem::remove_all(dir_); }

  /// `tenantry args...` in this test's directory against this test's database, `env` added to the
  /// environment (no shell: values keep their quotes and spaces exactly).
  ServeProcess::Options options(const std::vector<std::string>& args, const Env& env) const {
    return {.binary = TENANTRY_BINARY,
            .conninfo = database_.conninfo(),
            .listen = {},
            .args = args,
            .env = env,
            .dir = dir_};
  }
  /// Runs `tenantry args...` against this test's database, `env` added to the environment.
  CommandOutcome tenantry(const std::vector<std::string>& args, const Env& env = {}) {
    return run_to_completion(options(args, env));
  }
  /// Writes a configuration file in this test's directory and returns its path.
  std::string file(const std::string& toml) {
    const std::string path = dir_ + "/tenantry-test.toml";
    std::ofstream(path, std::ios::trunc) << toml;
    return path;
  }
  std::string scalar(const std::string& sql) {
    return run([&]() -> Task<std::string> {
      auto r = co_await db::Session(*pool_).query(sql);
      co_return std::string(r.one().text(0));
    }());
  }

  std::string dir_;
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(ConfigSecurityTest, PlansFromTheFileReplaceTheDefaults) {
  const std::string path = file(
      "[plans.free]\nmax_products = 5\n\n"
      "[plans.team]\nmax_products = 50\nmax_members = 10\n");
  auto shown = tenantry({"--config", path, "config", "show"});
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_TRUE(has(shown.output, "[plans.free]\nmax_products = 5\n# max_members: unlimited\n"))
      << shown.output;
  EXPECT_TRUE(has(shown.output, "[plans.team]\nmax_products = 50\nmax_members = 10\n")) << shown.output;
  EXPECT_FALSE(has(shown.output, "[plans.pro]")) << shown.output;
  EXPECT_FALSE(has(shown.output, "[plans.enterprise]")) << shown.output;

  // Without plans in the file, the built-in ones.
  auto defaults = tenantry({"--config", file("[server]\nthreads = 1\n"), "config", "show"});
  ASSERT_EQ(defaults.exit_code, 0) << defaults.output;
  EXPECT_TRUE(has(defaults.output, "[plans.free]\nmax_products = 100\nmax_members = 3\n")) << defaults.output;
  EXPECT_TRUE(has(defaults.output, "[plans.pro]\nmax_products = 10000\nmax_members = 25\n"))
      << defaults.output;
  EXPECT_TRUE(has(defaults.output, "[plans.enterprise]\n")) << defaults.output;
}

TEST_F(ConfigSecurityTest, BadPlansAreRefusedNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[plans.free]\nmax_prodcts = 5\n", "unknown key 'plans.free.max_prodcts'"},
      {"[plans.free]\nmax_products = -1\n", "plans.free.max_products must not be negative"},
      {"[plans.free]\nmax_members = \"many\"\n", "plans.free.max_members must be an integer"},
      {"[plans]\nfree = 5\n", "plans.free must be a table"},
      {"[plans.\"Big Plan\"]\nmax_products = 1\n", "plans.Big Plan: the plan name may contain only"},
  };
  for (const auto& [toml, message] : cases) {
    auto r = tenantry({"--config", file(toml), "config", "show"});
    EXPECT_EQ(r.exit_code, 2) << toml << r.output;
    EXPECT_TRUE(has(r.output, message)) << toml << r.output;
  }
}

TEST_F(ConfigSecurityTest, APlanLimitFromTheFileHoldsOverHttp) {
  const std::string path = file("[plans.free]\nmax_products = 1\n");
  const Env env{{"TENANTRY_LISTEN", "127.0.0.1:0"},
                {"TENANTRY_TENANCY_SPARE_SCHEMAS", "0"},
                {"TENANTRY_DATABASE_URL", database_.conninfo()}};
  ServeProcess serve(options({"--config", path, "serve", "--migrate"}, env));
  const std::uint16_t port = serve.port();
  ASSERT_NE(port, 0) << serve.log();
  HttpClient client(port);
  const std::string signup =
      boost::json::serialize(boost::json::object{{"name", "Tiny"},
                                                 {"slug", "tiny"},
                                                 {"email", "owner@tiny.test"},
                                                 {"password", "correct-horse-battery"}});
  auto created =
      client.request("POST", "/api/signup", {"Host: localhost", "Content-Type: application/json"}, signup);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string token(boost::json::parse(created.body).at("token").as_string());
  const std::vector<std::string> headers{"Host: tiny.localhost", "Content-Type: application/json",
                                         "Authorization: Bearer " + token};
  auto first = client.request("POST", "/api/products", headers,
                              R"({"sku": "A1", "name": "Cable", "price_cents": 100})");
  EXPECT_EQ(first.status, 201) << first.body;
  auto second = client.request("POST", "/api/products", headers,
                               R"({"sku": "A2", "name": "Plug", "price_cents": 100})");
  EXPECT_EQ(second.status, 403) << second.body;
  EXPECT_TRUE(has(second.body, "plan-limit-reached")) << second.body;
  serve.stop();
}

// Every password or secret, whatever its form, is masked by `config show`; the rest of the value stays.
TEST_F(ConfigSecurityTest, ConfigShowMasksEverySecret) {
  struct Case {
    Env env;
    std::vector<std::string> secrets, kept;
  };
  const std::vector<Case> cases{
      {{{"TENANTRY_AUTH_SECRET", "not-a-url-s3cret"}}, {"not-a-url-s3cret"}, {"secret = '***'"}},
      {{{"TENANTRY_MAIL_SMTP_PASSWORD", "smtp pass:word"}}, {"smtp pass"}, {"smtp_password = '***'"}},
      {{{"TENANTRY_SERVER_METRICS_TOKEN", "metrics-token-0123456789"}},
       {"metrics-token"},
       {"metrics_token = '***'"}},
      {{{"TENANTRY_DATABASE_URL",
         "postgresql://app:Pw-in-url@db.example.com:5432/tenantry?sslmode=require&password=Pw-in-query"}},
       {"Pw-in-url", "Pw-in-query"},
       {"postgresql://app:***@db.example.com:5432/tenantry?sslmode=require&password=***"}},
      {{{"TENANTRY_DATABASE_URL", "postgres://app:P%40ss-w@rd@db/x?sslpassword=Key-pass"}},
       {"P%40ss", "rd@db", "Key-pass"},
       {"postgres://app:***@db/x?sslpassword=***"}},
      {{{"TENANTRY_DATABASE_URL", "host=db.example.com password='a b c' user=app"}},
       {"a b c", "'a"},
       {"host=db.example.com password=*** user=app"}},
      {{{"TENANTRY_DATABASE_URL", "host=db password='it\\'s s3cret' dbname=x"}},
       {"s3cret", "it\\'s"},
       {"dbname=x"}},
      {{{"TENANTRY_DATABASE_URL", "password = Spaced-secret host=db"}}, {"Spaced-secret"}, {"host=db"}},
      {{{"TENANTRY_DATABASE_URL", "host=db sslpassword=Key-pass"}},
       {"Key-pass"},
       {"host=db sslpassword=***"}},
      {{{"TENANTRY_DATABASE_URL", "host=db password=correct horse"}}, {"correct", "horse"}, {"host=db"}},
  };
  for (const Case& c : cases) {
    auto r = tenantry({"config", "show"}, c.env);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const auto& secret : c.secrets) EXPECT_FALSE(has(r.output, secret)) << secret << "\n" << r.output;
    for (const auto& kept : c.kept) EXPECT_TRUE(has(r.output, kept)) << kept << "\n" << r.output;
  }
  // The same from the file.
  auto from_file = tenantry(
      {"--config", file("[auth]\nsecret = \"file-s3cret\"\n[database]\nurl = \"password=file-pw\"\n"),
       "config", "show"},
      {{"TENANTRY_DATABASE_URL", std::nullopt}});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.output;
  EXPECT_FALSE(has(from_file.output, "file-s3cret")) << from_file.output;
  EXPECT_FALSE(has(from_file.output, "file-pw")) << from_file.output;
  EXPECT_TRUE(has(from_file.output, "url = 'password=***'")) << from_file.output;
}

// libpq's own error for a malformed connection string quotes pieces of it: not on our stderr.
TEST_F(ConfigSecurityTest, AMalformedDatabaseUrlIsReportedWithoutItsPassword) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"host=/nonexistent password=correct horse", "horse"},
      {"postgresql://app:Pa%zzword@localhost/db", "Pa%zz"},
  };
  for (const auto& [url, secret] : cases) {
    auto r = tenantry({"tenant", "list"}, {{"TENANTRY_DATABASE_URL", url}});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_TRUE(has(r.output, "invalid database connection string")) << r.output;
    EXPECT_FALSE(has(r.output, secret)) << r.output;
  }
}

TEST_F(ConfigSecurityTest, TheHeaderResolverNeedsValidTrustedNetworks) {
  const Env on{{"TENANTRY_TENANCY_HEADER_RESOLVER", "true"}};
  for (const auto& command :
       {std::vector<std::string>{"config", "show"}, std::vector<std::string>{"serve"}}) {
    auto r = tenantry(command, on);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(has(r.output, "tenancy.header_trusted_networks must list the networks")) << r.output;
  }
  for (const std::string bad : {"10.0.0.0/8,proxy.internal", "10.0.0.0/33", "10.0.0.0/8x", "::1/129"}) {
    auto r = tenantry({"config", "show"}, {{"TENANTRY_TENANCY_HEADER_TRUSTED_NETWORKS", bad}});
    EXPECT_EQ(r.exit_code, 2) << bad << r.output;
    EXPECT_TRUE(has(r.output, "tenancy.header_trusted_networks has '")) << bad << r.output;
  }
  auto good = tenantry({"config", "show"},
                       {{"TENANTRY_TENANCY_HEADER_RESOLVER", "true"},
                        {"TENANTRY_TENANCY_HEADER_TRUSTED_NETWORKS", "10.0.0.0/8, ::1, 192.168.1.7"}});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_TRUE(has(good.output, "header_trusted_networks = [ '10.0.0.0/8', '::1', '192.168.1.7' ]") ||
              has(good.output, "header_trusted_networks = [ \"10.0.0.0/8\", \"::1\", \"192.168.1.7\" ]"))
      << good.output;
}

TEST_F(ConfigSecurityTest, ThePathResolverIsOffByDefault) {
  auto r = tenantry({"config", "show"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "\npath_resolver = false\n")) << r.output;
}

TEST_F(ConfigSecurityTest, NoTenantGetsAPublicHostAsItsDomain) {
  ASSERT_EQ(tenantry({"migrate"}).exit_code, 0);
  for (const std::string host : {"LocalHost.", "127.0.0.1", "www.localhost"}) {
    auto r = tenantry({"tenant", "create", "shop", "--name", "Shop", "--domain", host});
    EXPECT_EQ(r.exit_code, 2) << host << r.output;
    EXPECT_TRUE(has(r.output, "is a public host")) << r.output;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM tenants"), "0");
  ASSERT_EQ(
      tenantry({"tenant", "create", "shop", "--name", "Shop", "--domain", "shop.example.com"}).exit_code, 0);

  // Configured public hosts count as written by an operator: any case, with a port, and their www. forms.
  const Env env{{"TENANTRY_TENANCY_PUBLIC_HOSTS", "localhost, Platform.Example.org:8080, www.example.net"}};
  for (const std::string host : {"localhost", "127.0.0.1", "PLATFORM.example.org", "www.platform.example.org",
                                 "example.net", "www.example.net"}) {
    auto r = tenantry({"domain", "add", "shop", host}, env);
    EXPECT_EQ(r.exit_code, 2) << host << r.output;
    EXPECT_TRUE(has(r.output, "is a public host")) << r.output;
  }
  EXPECT_EQ(tenantry({"domain", "add", "shop", "other.example.org"}, env).exit_code, 0);
  EXPECT_EQ(scalar("SELECT string_agg(domain, ',' ORDER BY domain) FROM domains"),
            "other.example.org,shop.example.com");
}

}  // namespace
}  // namespace tenantry

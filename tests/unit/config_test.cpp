#include "tenantry/core/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace tenantry {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// Each test runs in a directory of its own with no TENANTRY_* variable set, whatever the caller's shell had.
class ConfigLoading : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> names;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string_view entry(*e); entry.starts_with("TENANTRY_"))
        names.emplace_back(entry.substr(0, entry.find('=')));
    for (const auto& name : names) ::unsetenv(name.c_str());
    dir_ = fs::temp_directory_path() / ("tenantry-config-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    previous_ = fs::current_path();
    fs::current_path(dir_);
  }
  void TearDown() override {
    fs::current_path(previous_);
    fs::remove_all(dir_);
  }

  fs::path file(const std::string& toml, const std::string& name = "tenantry-test.toml") {
    const fs::path path = dir_ / name;
    std::ofstream(path) << toml;
    return path;
  }
  /// The message of the ConfigError that loading throws, or a failure when it loads.
  std::string load_error(const std::optional<fs::path>& path) {
    try {
      load_config(path);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "the configuration loaded";
    return {};
  }
  /// The same for a file holding `toml`.
  std::string error(const std::string& toml) { return load_error(file(toml)); }

  fs::path dir_, previous_;
};

TEST_F(ConfigLoading, DefaultsWithoutFileOrEnvironment) {
  const Config c = load_config(std::nullopt);
  EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.database.url, "");
  EXPECT_EQ(c.database.pool_size, 16u);
  EXPECT_EQ(c.tenancy.resolvers, (std::vector<std::string>{"header", "path", "host", "subdomain"}));
  EXPECT_FALSE(c.tenancy.header_resolver);
  EXPECT_EQ(c.plans.size(), 3u);
  EXPECT_EQ(c.plans.at("free").max_products, 100);
}

TEST_F(ConfigLoading, ReadsTheFileGivenOrTenantryTomlInTheWorkingDirectory) {
  const auto given =
      file("[server]\nthreads = 3\naccess_log = false\n[tenancy]\npublic_hosts = [\"a.example\"]\n");
  const Config c = load_config(given);
  EXPECT_EQ(c.server.threads, 3);
  EXPECT_FALSE(c.server.access_log);
  EXPECT_EQ(c.tenancy.public_hosts, (std::vector<std::string>{"a.example"}));
  EXPECT_EQ(c.server.listen, "127.0.0.1:8080");  // what the file leaves out keeps its default

  file("[log]\nlevel = \"debug\"\n", "tenantry.toml");
  EXPECT_EQ(load_config(std::nullopt).log.level, "debug");
  EXPECT_EQ(load_config(given).log.level, "info");  // a given file replaces ./tenantry.toml
}

TEST_F(ConfigLoading, EnvironmentVariablesWinOverTheFile) {
  const auto path = file("[server]\nthreads = 3\nlisten = \"127.0.0.1:9000\"\n[log]\nlevel = \"warn\"\n");
  ::setenv("TENANTRY_SERVER_THREADS", "5", 1);
  ::setenv("TENANTRY_SERVER_ACCESS_LOG", "off", 1);
  ::setenv("TENANTRY_TENANCY_PUBLIC_HOSTS", " a.example, b.example ,", 1);
  ::setenv("TENANTRY_LISTEN", "0.0.0.0:7000", 1);  // the short alias of TENANTRY_SERVER_LISTEN
  const Config c = load_config(path);
  EXPECT_EQ(c.server.threads, 5);
  EXPECT_FALSE(c.server.access_log);
  EXPECT_EQ(c.tenancy.public_hosts, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(c.server.listen, "0.0.0.0:7000");
  EXPECT_EQ(c.log.level, "warn");  // no variable: the file's value
}

TEST_F(ConfigLoading, UnknownKeysAreErrorsNamingTheKeyAndFile) {
  const auto path = file("[server]\nthread = 4\n");
  EXPECT_EQ(load_error(path), path.string() + ": unknown key 'server.thread'");
  EXPECT_THAT(error("[sever]\nthreads = 4\n"), HasSubstr(": unknown key 'sever.threads'"));
  EXPECT_THAT(error("threads = 4\n"), HasSubstr(": unknown key 'threads'"));
  EXPECT_THAT(error("[plans.free]\nmax_users = 4\n"),
              HasSubstr(": unknown key 'plans.free.max_users' (a plan has max_products and max_members)"));
}

TEST_F(ConfigLoading, BadValuesInTheFileNameTheKey) {
  const auto path = file("[server]\nthreads = \"four\"\n");
  EXPECT_EQ(load_error(path), path.string() + ": server.threads must be an integer");
  EXPECT_THAT(error("[server]\naccess_log = \"yes\"\n"),
              HasSubstr(": server.access_log must be true or false"));
  EXPECT_THAT(error("[server]\nlisten = 8080\n"), HasSubstr(": server.listen must be a string"));
  EXPECT_THAT(error("[tenancy]\npublic_hosts = \"a\"\n"),
              HasSubstr(": tenancy.public_hosts must be an array of strings"));
  EXPECT_THAT(error("[database]\npool_size = -1\n"), HasSubstr(": database.pool_size must not be negative"));
}

TEST_F(ConfigLoading, BadValuesInTheEnvironmentNameTheVariable) {
  ::setenv("TENANTRY_SERVER_THREADS", "four", 1);
  EXPECT_EQ(load_error(std::nullopt),
            "environment variable TENANTRY_SERVER_THREADS: server.threads must be an integer, got 'four'");
  ::unsetenv("TENANTRY_SERVER_THREADS");
  ::setenv("TENANTRY_SERVER_ACCESS_LOG", "maybe", 1);
  EXPECT_EQ(load_error(std::nullopt),
            "environment variable TENANTRY_SERVER_ACCESS_LOG: server.access_log must be true or false, got "
            "'maybe'");
  ::unsetenv("TENANTRY_SERVER_ACCESS_LOG");
  ::setenv("TENANTRY_DATABASE_POOL_SIZE", "-2", 1);
  EXPECT_THAT(load_error(std::nullopt), HasSubstr("database.pool_size must not be negative, got '-2'"));
}

TEST_F(ConfigLoading, ValuesAreCheckedWhereverTheyCameFrom) {
  EXPECT_EQ(error("[server]\nlisten = \"nowhere\"\n"),
            "invalid configuration: server.listen must look like HOST:PORT");
  EXPECT_EQ(error("[server]\nlisten = \"127.0.0.1:70000\"\n"),
            "invalid configuration: server.listen port must be 0 to 65535");
  ::setenv("TENANTRY_LOG_LEVEL", "loud", 1);
  EXPECT_EQ(load_error(std::nullopt),
            "invalid configuration: log.level must be one of: trace, debug, info, warn, error, off");
  ::unsetenv("TENANTRY_LOG_LEVEL");
  EXPECT_THAT(error("[tenancy]\nresolvers = [\"host\", \"cookie\"]\n"),
              HasSubstr("tenancy.resolvers has 'cookie'; allowed: header, path, host, subdomain"));
  EXPECT_THAT(error("[tenancy]\nheader_resolver = true\n"),
              HasSubstr("invalid configuration: tenancy.header_trusted_networks must list the networks"));
}

TEST_F(ConfigLoading, AMissingFileAndASyntaxErrorAreReported) {
  EXPECT_EQ(load_error(dir_ / "absent.toml"),
            "configuration file " + (dir_ / "absent.toml").string() + " does not exist");
  const auto path = file("[server]\nthreads = = 4\n");
  EXPECT_THAT(load_error(path), HasSubstr(path.string() + ":2: "));
}

TEST_F(ConfigLoading, PlansInTheFileReplaceTheBuiltInOnes) {
  const Config c = load_config(file("[plans.team]\nmax_products = 50\n[plans.unlimited]\n"));
  ASSERT_EQ(c.plans.size(), 2u);
  EXPECT_EQ(c.plans.at("team").max_products, 50);
  EXPECT_EQ(c.plans.at("team").max_members, std::nullopt);  // absent: unlimited
  EXPECT_EQ(c.plans.at("unlimited").max_products, std::nullopt);
  EXPECT_THAT(error("[plans.team]\nmax_products = -1\n"),
              HasSubstr("plans.team.max_products must not be negative"));
  EXPECT_THAT(error("[plans.Team]\n"),
              HasSubstr("plans.Team: the plan name may contain only lower-case letters"));
}

// The owner's URL goes with the runtime role's: the embedded cluster brings both, an existing server both or
// database.url alone (one role for both).
TEST_F(ConfigLoading, AnOwnerUrlNeedsTheRuntimeUrl) {
  EXPECT_THAT(error("[database]\nowner_url = \"postgresql:///x?user=owner\"\n"),
              HasSubstr("database.owner_url needs database.url too"));
  ::setenv("TENANTRY_DATABASE_OWNER_URL", "postgresql:///x?user=owner", 1);
  ::setenv("TENANTRY_DATABASE_URL", "postgresql:///x?user=app", 1);
  const Config c = load_config(std::nullopt);
  EXPECT_EQ(c.database.owner_url, "postgresql:///x?user=owner");
  EXPECT_EQ(c.database.url, "postgresql:///x?user=app");
  ::unsetenv("TENANTRY_DATABASE_OWNER_URL");
  ::unsetenv("TENANTRY_DATABASE_URL");
}

TEST(ConfigValidate, ACodeBuiltConfigurationGetsTheSameChecks) {
  Config c;
  EXPECT_NO_THROW(validate(c));
  c.auth.token_ttl_minutes = 0;
  EXPECT_THROW(validate(c), ConfigError);
  c.auth.token_ttl_minutes = 60;
  c.database.max_connections_per_tenant = c.database.pool_size + 1;
  EXPECT_THROW(validate(c), ConfigError);
}

}  // namespace
}  // namespace tenantry

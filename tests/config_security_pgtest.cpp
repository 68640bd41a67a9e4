// Configuration that must not weaken security, through the real `tenantry` binary: secrets masked wherever a
// setting is printed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "http_client.hpp"
#include "tenantry/db/session.hpp"
#include "test_database.hpp"

extern char** environ;

namespace tenantry {
namespace {

using testing::HttpClient;
/// Variables to set; nullopt removes one.
using Env = std::map<std::string, std::optional<std::string>>;

struct Outcome {
  int exit_code;
  std::string output;  // stdout and stderr
};

/// The environment of this process with `overrides` applied, for execve (no shell: values keep their quotes
/// and spaces exactly).
std::vector<std::string> environment(const Env& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    if (!overrides.count(entry.substr(0, entry.find('=')))) out.push_back(entry);
  }
  for (const auto& [name, value] : overrides)
    if (value) out.push_back(name + "=" + *value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// Starts the binary in `dir` with stdout and stderr on the returned pipe.
pid_t spawn(const std::vector<std::string>& args, const Env& env, const std::string& dir, int& output) {
  std::vector<std::string> argv{TENANTRY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envp = environment(env);
  auto argv_pointers = pointers(argv), envp_pointers = pointers(envp);
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::close(out[0]);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execve(TENANTRY_BINARY, argv_pointers.data(), envp_pointers.data());
    ::_exit(127);
  }
  ::close(out[1]);
  output = out[0];
  return pid;
}

class ConfigSecurityTest : public testing::PgTest {
 protected:
  ConfigSecurityTest() {
    std::string tmpl = ::testing::TempDir() + "tenantry-config-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~ConfigSecurityTest() override { std::filesystem::remove_all(dir_); }

  /// Runs `tenantry args...` against this test's database, `env` added to the environment.
  Outcome tenantry(const std::vector<std::string>& args, Env env = {}) {
    env.try_emplace("TENANTRY_DATABASE_URL", database_.conninfo());
    int output = -1;
    const pid_t pid = spawn(args, env, dir_, output);
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(output, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
    ::close(output);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
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

// Every password or secret, whatever its form, is masked by `config show`; the rest of the value stays.
TEST_F(ConfigSecurityTest, ConfigShowMasksEverySecret) {
  struct Case {
    Env env;
    std::vector<std::string> secrets, kept;
  };
  const std::vector<Case> cases{
      {{{"TENANTRY_AUTH_SECRET", "not-a-url-s3cret"}}, {"not-a-url-s3cret"}, {"secret = '***'"}},
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

}  // namespace
}  // namespace tenantry

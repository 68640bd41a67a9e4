#pragma once

// Runs the real `tenantry` binary (TENANTRY_BINARY) against the test's own database.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tenantry/db/session.hpp"
#include "test_database.hpp"

namespace tenantry::testing {

/// What a command did: its exit code, standard output and standard error apart.
struct CliOutcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliFixture : public PgTest {
 protected:
  CliFixture() {
    std::string pattern = ::testing::TempDir() + "tenantry-cli-XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
  }

  /// `tenantry <args>` in this test's own directory, stdin from /dev/null.
  CliOutcome tenantry(const std::string& args, const std::string& extra_env = "") {
    return shell(environment(extra_env) + " " TENANTRY_BINARY " " + args);
  }
  /// `command` run by /bin/sh in this test's directory, with `TENANTRY_DATABASE_URL` set.
  CliOutcome shell(const std::string& command) {
    const std::string err_file = dir_ + "/stderr";
    const std::string full = "cd '" + dir_ + "' && ( " + command + " ) </dev/null 2>'" + err_file + "'";
    FILE* pipe = ::popen(full.c_str(), "r");
    CliOutcome outcome;
    std::array<char, 4096> buffer;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
      outcome.out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.err = read_file(err_file);
    return outcome;
  }
  std::string environment(const std::string& extra_env = "") const {
    return "TENANTRY_DATABASE_URL=\"" + database_.conninfo() + "\" TENANTRY_MAIL_FILE_DIR='" + dir_ +
           "/mail' " + extra_env;
  }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string scalar(const std::string& sql) {
    return run([&]() -> Task<std::string> {
      const db::Session session(*pool_);
      auto r = co_await session.query(sql);
      co_return r.one().is_null(0) ? "NULL" : std::string(r.one().text(0));
    }());
  }

  std::string dir_;
};

}  // namespace tenantry::testing

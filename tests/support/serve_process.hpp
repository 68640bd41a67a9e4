#pragma once

// The real `tenantry` binary as a child process of a test: `serve` (by default) or any other command.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tenantry::testing {

/// Environment variables for a child process: a value sets one, nullopt removes it.
using Environment = std::map<std::string, std::optional<std::string>>;

/// `tenantry <args>` as a child process. Its standard error (and standard output, with capture_stdout) is
/// collected by a thread while it runs, so that a test can wait for a line. The child holds no descriptor of
/// the test above standard error (a lock file of whoever ran the tests stays theirs), and is killed (SIGKILL)
/// if still running when this object goes.
class ServeProcess {
 public:
  struct Options {
    /// The binary: the test target's TENANTRY_BINARY (a compile definition of each target that runs it).
    std::string binary;
    /// TENANTRY_DATABASE_URL, unless empty.
    std::string conninfo;
    /// TENANTRY_SERVER_LISTEN, unless empty: an ephemeral port by default, which port() reads.
    std::string listen = "127.0.0.1:0";
    /// The arguments after the binary's path, e.g. {"--config", file, "serve", "--migrate"}.
    std::vector<std::string> args{"serve"};
    /// Applied last, over this process's environment and the two variables above.
    Environment env;
    /// Standard output into the log too (else to /dev/null).
    bool capture_stdout = false;
    /// Standard input.
    std::string stdin_file = "/dev/null";
    /// The working directory; empty: this process's.
    std::string dir;
  };

  explicit ServeProcess(Options options);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  /// The port of its "serving N tenants on http://127.0.0.1:PORT" line, waiting up to `timeout` for it; 0 if
  /// it ended (or the time ran out) without one. Once known, any thread may ask.
  std::uint16_t port(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  /// The first line holding `text` at or after offset `from` of the log, waiting up to `timeout` for it; ""
  /// if it did not come before the output ended or the time ran out.
  std::string wait_for(const std::string& text, std::chrono::milliseconds timeout, std::size_t from = 0);
  /// The output collected so far.
  std::string log() const;
  /// True while it runs.
  bool alive();
  /// Sends signal `number` (unless it has exited).
  void signal(int number);
  /// Waits up to `timeout` for it to exit, then for the rest of its output: its exit status (128 + the
  /// signal's number when a signal ended it), or -1 when it did not exit in time (then it is killed).
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  /// SIGTERM, then wait(timeout).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// SIGKILL, as a crash or an OOM kill would; returns once it is gone.
  void kill();

 private:
  /// Collects its exit status if it has exited (waiting for that when `block`); true once it has.
  bool reap(bool block);

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::atomic<std::uint16_t> port_{0};
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable grown_;
  std::string log_;
  bool ended_ = false;  // the output's end was read
};

/// What a command did: its exit status and its output.
struct CommandOutcome {
  int exit_code = -1;
  std::string output;
};

/// Runs `options` to the end (standard output and error both in the output); -1 if it did not end within
/// `timeout`.
CommandOutcome run_to_completion(ServeProcess::Options options,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace tenantry::testing

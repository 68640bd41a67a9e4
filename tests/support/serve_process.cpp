#include "serve_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

extern char** environ;

namespace tenantry::testing {

namespace {

using Clock = std::chrono::steady_clock;

/// This process's environment with `overrides` applied, as NAME=value entries.
std::vector<std::string> environment(const Environment& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (overrides.count(entry.substr(0, entry.find('='))) == 0) out.push_back(entry);
  }
  for (const auto& [name, value] : overrides)
    if (value) out.push_back(name + "=" + *value);
  return out;
}

/// The null-terminated pointers execve takes, into `strings`.
std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int open_or_throw(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  return fd;
}

}  // namespace

ServeProcess::ServeProcess(Options options) {
  // Everything the child needs is prepared here: between fork and exec it only calls async-signal-safe
  // functions (another thread of the test may hold the allocator's lock at the fork).
  Environment env;
  if (!options.conninfo.empty()) env["TENANTRY_DATABASE_URL"] = options.conninfo;
  if (!options.listen.empty()) env["TENANTRY_SERVER_LISTEN"] = options.listen;
  for (auto& [name, value] : options.env) env[name] = value;
  std::vector<std::string> argv{options.binary};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  std::vector<std::string> envp = environment(env);
  auto argv_pointers = pointers(argv), envp_pointers = pointers(envp);
  // For the loop that stands in for close_range(2) on kernels without it.
  rlimit files{};
  int fd_limit = 1 << 20;
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < static_cast<rlim_t>(fd_limit))
    fd_limit = static_cast<int>(files.rlim_cur);

  const int in = open_or_throw(options.stdin_file, O_RDONLY);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  int out[2];
  if (null < 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in);
    if (null >= 0) ::close(null);
    throw std::runtime_error("cannot make the child's output pipe");
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in, 0);
    ::dup2(options.capture_stdout ? out[1] : null, 1);
    ::dup2(out[1], 2);
    if (!options.dir.empty() && ::chdir(options.dir.c_str()) != 0) ::_exit(126);
    // Every other inherited descriptor goes: close-on-exec is not set on all of them (a lock file of whoever
    // runs the tests, descriptors other threads open while this one forks).
    if (::close_range(3, ~0U, 0) != 0)
      for (int fd = 3; fd < fd_limit; ++fd) ::close(fd);
    ::execve(options.binary.c_str(), argv_pointers.data(), envp_pointers.data());
    ::_exit(127);
  }
  ::close(in);
  ::close(null);
  ::close(out[1]);
  if (pid_ < 0) {
    ::close(out[0]);
    throw std::runtime_error("fork");
  }
  reader_ = std::thread([this, fd = out[0]] {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      {
        std::lock_guard lock(mutex_);
        log_.append(buffer, static_cast<std::size_t>(n));
      }
      grown_.notify_all();
    }
    ::close(fd);
    {
      std::lock_guard lock(mutex_);
      ended_ = true;
    }
    grown_.notify_all();
  });
}

ServeProcess::~ServeProcess() {
  kill();
  if (reader_.joinable()) reader_.join();
}

std::uint16_t ServeProcess::port(std::chrono::milliseconds timeout) {
  static const std::string kAddress = "http://127.0.0.1:";
  if (port_ == 0) {
    const std::string line = wait_for(" tenants on " + kAddress, timeout);
    if (!line.empty())
      port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.find(kAddress) + kAddress.size())));
  }
  return port_;
}

std::string ServeProcess::wait_for(const std::string& text, std::chrono::milliseconds timeout,
                                   std::size_t from) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (const auto at = log_.find(text, from); at != std::string::npos) {
      const auto end = log_.find('\n', at);
      if (end != std::string::npos || ended_) {  // a whole line (or the unterminated last one)
        const auto newline = log_.rfind('\n', at);
        const auto begin = newline == std::string::npos ? 0 : newline + 1;
        return log_.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
      }
    }
    if (ended_ || Clock::now() >= deadline) return "";
    grown_.wait_until(lock, deadline);
  }
}

std::string ServeProcess::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

bool ServeProcess::alive() {
  return !reap(false);
}

void ServeProcess::signal(int number) {
  if (!reap(false)) ::kill(pid_, number);
}

int ServeProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  bool in_time = true;
  while (!reap(false)) {
    if (Clock::now() > deadline) {
      kill();
      in_time = false;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (reader_.joinable()) reader_.join();  // the rest of its output
  return in_time ? *exit_status_ : -1;
}

int ServeProcess::stop(std::chrono::milliseconds timeout) {
  signal(SIGTERM);
  return wait(timeout);
}

void ServeProcess::kill() {
  if (reap(false)) return;
  ::kill(pid_, SIGKILL);
  reap(true);
}

bool ServeProcess::reap(bool block) {
  if (exit_status_) return true;
  int status = 0;
  pid_t done;
  do {
    done = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == 0) return false;
  if (done < 0)
    exit_status_ = -1;  // not our child any more: nothing to wait for
  else
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

CommandOutcome run_to_completion(ServeProcess::Options options, std::chrono::milliseconds timeout) {
  options.capture_stdout = true;
  ServeProcess process(std::move(options));
  const int code = process.wait(timeout);
  return {code, process.log()};
}

}  // namespace tenantry::testing

#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "tenantry/core/task.hpp"

namespace tenantry::auth {

/// Hashes and verifies passwords with argon2id on a small thread pool of its own, off the I/O threads:
/// one hash takes tens of milliseconds of CPU. The awaiting coroutine resumes on its own executor.
class PasswordHasher {
 public:
  explicit PasswordHasher(std::size_t threads);
  ~PasswordHasher();

  Task<std::string> hash(std::string password);
  /// Also spends the time of a verification when `hash` is empty (unknown user), so timing reveals nothing.
  Task<bool> verify(std::string hash, std::string password);

 private:
  struct Threads;
  std::unique_ptr<Threads> threads_;
};

}  // namespace tenantry::auth

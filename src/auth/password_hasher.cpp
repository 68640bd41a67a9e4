#include "tenantry/auth/password_hasher.hpp"

#include <sodium.h>

#include <boost/asio/thread_pool.hpp>
#include <stdexcept>

#include "tenantry/core/offload.hpp"

namespace tenantry::auth {

namespace {

std::string hash_now(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

}  // namespace

struct PasswordHasher::Threads {
  explicit Threads(std::size_t n) : pool(n) {}
  boost::asio::thread_pool pool;
};

PasswordHasher::PasswordHasher(std::size_t threads) : threads_(std::make_unique<Threads>(threads)) {}

PasswordHasher::~PasswordHasher() {
  threads_->pool.join();
}

// The work lambdas are named locals (the coroutine rule, tenantry/core/task.hpp).
Task<std::string> PasswordHasher::hash(std::string password) {
  auto work = [password = std::move(password)] { return hash_now(password); };
  co_return co_await offload(threads_->pool, std::move(work));
}

Task<bool> PasswordHasher::verify(std::string hash, std::string password) {
  auto work = [hash = std::move(hash), password = std::move(password)] {
    if (hash.empty()) {
      hash_now(password);  // unknown account: spend the same effort as a verification, then fail
      return false;
    }
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  };
  co_return co_await offload(threads_->pool, std::move(work));
}

}  // namespace tenantry::auth

#include "tenantry/auth/password_hasher.hpp"

#include <sodium.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <stdexcept>

namespace tenantry::auth {

namespace {

/// Runs `work` on `pool` and resumes the awaiting coroutine on its own executor. Only a plain function
/// crosses threads: coroutine frames created on one thread and resumed on another corrupted the heap.
template <typename R, typename F>
Task<R> run_on(boost::asio::thread_pool& pool, F work) {
  auto home = co_await boost::asio::this_coro::executor;
  // A named initiation, not a temporary inside co_await: GCC 12 mishandles those.
  auto initiation = [&pool, home](auto handler, F work) {
    boost::asio::post(pool, [handler = std::move(handler), work = std::move(work), home]() mutable {
      std::exception_ptr failure;
      R result{};
      try {
        result = work();
      } catch (...) {
        failure = std::current_exception();
      }
      boost::asio::post(home, [handler = std::move(handler), failure, result = std::move(result)]() mutable {
        std::move(handler)(failure, std::move(result));
      });
    });
  };
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(std::exception_ptr, R)>(
      initiation, boost::asio::use_awaitable, std::move(work));
}

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

// The work lambdas are named locals: GCC 12 bitwise-copies closure temporaries of a co_await expression.
Task<std::string> PasswordHasher::hash(std::string password) {
  auto work = [password = std::move(password)] { return hash_now(password); };
  co_return co_await run_on<std::string>(threads_->pool, std::move(work));
}

Task<bool> PasswordHasher::verify(std::string hash, std::string password) {
  auto work = [hash = std::move(hash), password = std::move(password)] {
    if (hash.empty()) {
      hash_now(password);  // unknown account: spend the same effort as a verification, then fail
      return false;
    }
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  };
  co_return co_await run_on<bool>(threads_->pool, std::move(work));
}

}  // namespace tenantry::auth

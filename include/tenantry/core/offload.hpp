#pragma once

// Moving work between threads without breaking the coroutine rule (tenantry/core/task.hpp): the awaited
// operation is built inside these helpers, in named locals, so callers write one plain co_await. Include this
// header from implementation files only: it brings in Asio.
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "tenantry/core/task.hpp"

namespace tenantry {

/// Runs `task` on `io` (e.g. another I/O thread's io_context) and resumes the caller on its own executor
/// with the task's value or exception: `auto there = run_on(io, std::move(task)); co_await std::move(there);`
/// Not a coroutine itself, so the hop costs no frame of its own.
template <typename T>
Task<T> run_on(boost::asio::io_context& io, Task<T> task) {
  return boost::asio::co_spawn(io, std::move(task), boost::asio::use_awaitable);
}

/// Runs the blocking function `work` on `pool` (e.g. password hashing) and resumes the caller on its own
/// executor with its result or exception. Only a plain function crosses threads, never a coroutine frame:
/// frames created on one thread and resumed on another corrupted the heap.
template <typename F, typename R = std::invoke_result_t<F&>>
Task<R> offload(boost::asio::thread_pool& pool, F work) {
  static_assert(!std::is_void_v<R>, "offload: the work returns a value");
  auto home = co_await boost::asio::this_coro::executor;
  // Named, not a lambda inside the co_await operand (the coroutine rule).
  auto initiation = [&pool, home](auto handler, F work) {
    boost::asio::post(pool, [handler = std::move(handler), work = std::move(work), home]() mutable {
      std::exception_ptr failure;
      std::optional<R> result;
      try {
        result.emplace(work());
      } catch (...) {
        failure = std::current_exception();
      }
      boost::asio::post(home, [handler = std::move(handler), failure, result = std::move(result)]() mutable {
        std::move(handler)(failure, std::move(result));
      });
    });
  };
  std::optional<R> result = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                                 void(std::exception_ptr, std::optional<R>)>(
      initiation, boost::asio::use_awaitable, std::move(work));
  co_return std::move(*result);
}

}  // namespace tenantry

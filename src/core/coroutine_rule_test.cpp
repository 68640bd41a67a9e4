// The coroutine rule of tenantry/core/task.hpp, under test: what GCC 12 does to the forms it forbids, that
// the safe forms keep every object alive across the suspension and destroy it exactly once, and that the
// helpers which make them the easy form (spawn, run_on, offload) do what they promise.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "tenantry/core/offload.hpp"
#include "tenantry/core/run_blocking.hpp"
#include "tenantry/core/spawn.hpp"
#include "tenantry/core/task.hpp"

namespace tenantry {
namespace {

namespace asio = boost::asio;

/// Counts its constructions and destructions, and notices a destructor run on a bitwise copy (an object
/// whose `self` is not itself) or twice on the same object.
struct Tracked {
  static inline int constructed = 0, destroyed = 0, misdestroyed = 0;
  static void reset() { constructed = destroyed = misdestroyed = 0; }

  explicit Tracked(int v) : value(v), self(this) { ++constructed; }
  Tracked(const Tracked& other) : value(other.value), self(this) { ++constructed; }
  Tracked& operator=(const Tracked&) = delete;
  ~Tracked() {
    if (self != this || value == kDead) ++misdestroyed;
    ++destroyed;
    value = kDead;
  }

  static constexpr int kDead = -1;
  int value;
  const Tracked* self;
};

/// Reads `t` after a suspension: a temporary that did not outlive the co_await reads as dead.
Task<int> read_after_suspending(const Tracked& t) {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  co_return t.value;
}

/// Calls `f` after a suspension.
template <typename F>
Task<int> call_after_suspending(F f) {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  co_return f();
}

// The forms the rule forbids, kept here only to show what they do on this compiler.
Task<int> conditional_temporary_inside_co_await(bool first) {
  co_return co_await read_after_suspending(first ? Tracked(1) : Tracked(2));
}

Task<int> lambda_temporary_inside_co_await() {
  const Tracked captured(7);
  co_return co_await call_after_suspending([captured] { return captured.value; });
}

struct Aggregate {
  Tracked tracked;
};

Task<int> read_aggregate_after_suspending(const Aggregate& a) {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  co_return a.tracked.value;
}

Task<int> braced_temporary_inside_co_await() {
  co_return co_await read_aggregate_after_suspending(Aggregate{Tracked(3)});
}

class CoroutineRule : public ::testing::Test {
 protected:
  void SetUp() override { Tracked::reset(); }
  asio::io_context io_;
};

TEST_F(CoroutineRule, NamedArgumentOutlivesTheAwaitAndIsDestroyedOnce) {
  const int read = run_blocking(io_, []() -> Task<int> {
    const Tracked argument(42);  // rule 1: named, not `co_await read_after_suspending(Tracked(42))`
    co_return co_await read_after_suspending(argument);
  }());
  EXPECT_EQ(read, 42);
  EXPECT_EQ(Tracked::constructed, 1);
  EXPECT_EQ(Tracked::destroyed, 1);
  EXPECT_EQ(Tracked::misdestroyed, 0);
}

TEST_F(CoroutineRule, NamedLambdaAndIfElseInsteadOfConditionalKeepTheirObjects) {
  const int read = run_blocking(io_, []() -> Task<int> {
    const Tracked captured(7);
    auto work = [captured] { return captured.value; };  // rule 2: the closure is named
    int total = co_await call_after_suspending(std::move(work));
    for (const bool first : {true, false}) {
      // Rule 2: an if/else, not `co_await read_after_suspending(first ? Tracked(1) : Tracked(2))`.
      const Tracked chosen(first ? 1 : 2);
      total += co_await read_after_suspending(chosen);
    }
    co_return total;
  }());
  EXPECT_EQ(read, 7 + 1 + 2);
  EXPECT_EQ(Tracked::constructed, Tracked::destroyed);
  EXPECT_EQ(Tracked::misdestroyed, 0);
}

TEST_F(CoroutineRule, AwaitAfterTheCatchHandlerNotInside) {
  const int read = run_blocking(io_, []() -> Task<int> {
    std::exception_ptr failure;
    try {
      throw std::runtime_error("first");
    } catch (...) {
      failure = std::current_exception();  // rule 3: caught into a variable...
    }
    const Tracked after(failure ? 5 : 0);
    co_return co_await read_after_suspending(after);  // ...and awaited after the handler
  }());
  EXPECT_EQ(read, 5);
  EXPECT_EQ(Tracked::misdestroyed, 0);
}

// GCC before 13 runs a destructor on a bitwise copy of such a temporary, and so destroys more objects
// than it constructs (with a std::string inside: a double free). If this fails on GCC 12, the compiler
// was fixed (or the reproducer broke); if it fails elsewhere, that compiler has the bug too.
TEST_F(CoroutineRule, TemporariesTheRuleForbidsAreMisdestroyedByGccBefore13) {
  constexpr bool kBuggyCompiler =
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
      true;
#else
      false;
#endif
  const std::pair<const char*, std::function<Task<int>()>> forms[] = {
      {"?: temporary", [] { return conditional_temporary_inside_co_await(true); }},
      {"lambda temporary", [] { return lambda_temporary_inside_co_await(); }},
      {"braced temporary", [] { return braced_temporary_inside_co_await(); }},
  };
  for (const auto& [form, start] : forms) {
    Tracked::reset();
    run_blocking(io_, start());
    const bool balanced = Tracked::misdestroyed == 0 && Tracked::destroyed == Tracked::constructed;
    EXPECT_EQ(balanced, !kBuggyCompiler)
        << form << ": constructed " << Tracked::constructed << ", destroyed " << Tracked::destroyed << ", "
        << Tracked::misdestroyed << " of them not as constructed";
  }
}

/// What spawn() logs while `run` runs.
std::string logged_by(const std::function<void()>& run) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("coroutine-rule-test",
                                                 std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("%l %v");
  spdlog::set_default_logger(logger);
  run();
  spdlog::set_default_logger(previous);
  return out.str();
}

Task<void> fail_after_suspending(bool& ran) {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  ran = true;
  throw std::runtime_error("listener gave up");
}

Task<void> succeed(bool& ran) {
  ran = true;
  co_return;
}

TEST_F(CoroutineRule, SpawnLogsTheExceptionThatEndsATask) {
  bool failed = false, succeeded = false;
  const std::string log = logged_by([&] {
    spawn(io_, fail_after_suspending(failed), "test watcher");
    spawn(io_, succeed(succeeded), "quiet task");
    io_.run();
  });
  EXPECT_TRUE(failed);
  EXPECT_TRUE(succeeded);
  EXPECT_EQ(log, "error test watcher ended: listener gave up\n");
}

Task<int> note_thread(std::thread::id& where, int value) {
  where = std::this_thread::get_id();
  co_return value;
}

TEST_F(CoroutineRule, RunOnRunsTheTaskOnTheOtherContextAndResumesOnTheCaller) {
  asio::io_context other;
  auto guard = asio::make_work_guard(other);
  std::thread other_thread([&] { other.run(); });
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on, resumed_on;
  const int value = run_blocking(io_, [&]() -> Task<int> {
    auto task = note_thread(ran_on, 11);
    auto there = run_on(other, std::move(task));
    const int result = co_await std::move(there);
    resumed_on = std::this_thread::get_id();
    co_return result;
  }());
  const auto other_id = other_thread.get_id();
  guard.reset();
  other_thread.join();
  EXPECT_EQ(value, 11);
  EXPECT_EQ(ran_on, other_id);
  EXPECT_NE(ran_on, caller);
  EXPECT_EQ(resumed_on, caller);
}

TEST_F(CoroutineRule, OffloadRunsBlockingWorkOnThePoolAndResumesOnTheCaller) {
  asio::thread_pool pool(1);
  const auto caller = std::this_thread::get_id();
  std::thread::id worked_on, resumed_on;
  const std::string value = run_blocking(io_, [&]() -> Task<std::string> {
    auto work = [&worked_on] {
      worked_on = std::this_thread::get_id();
      return std::string("hashed, and long enough not to fit a small string");
    };
    std::string result = co_await offload(pool, std::move(work));
    resumed_on = std::this_thread::get_id();
    co_return result;
  }());
  EXPECT_EQ(value, "hashed, and long enough not to fit a small string");
  EXPECT_NE(worked_on, caller);
  EXPECT_EQ(resumed_on, caller);
}

TEST_F(CoroutineRule, OffloadRethrowsTheWorksException) {
  asio::thread_pool pool(1);
  auto work = []() -> int { throw std::invalid_argument("bad password"); };
  EXPECT_THROW(run_blocking(io_, offload(pool, std::move(work))), std::invalid_argument);
}

}  // namespace
}  // namespace tenantry

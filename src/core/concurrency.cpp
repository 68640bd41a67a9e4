#include "tenantry/core/concurrency.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>

namespace tenantry {

Task<void> run_concurrently(std::size_t n, std::function<Task<void>(std::size_t)> worker) {
  if (n == 0) co_return;
  auto executor = co_await boost::asio::this_coro::executor;
  struct State {
    explicit State(boost::asio::any_io_executor ex) : done(ex) {}
    boost::asio::steady_timer done;
    std::size_t running = 0;
    std::exception_ptr failure;
  };
  auto state = std::make_shared<State>(executor);
  state->done.expires_at(boost::asio::steady_timer::time_point::max());
  state->running = n;
  for (std::size_t i = 0; i < n; ++i) {
    boost::asio::co_spawn(executor, worker(i), [state](std::exception_ptr e) {
      if (e && !state->failure) state->failure = e;
      if (--state->running == 0) state->done.cancel();
    });
  }
  boost::system::error_code ec;
  while (state->running > 0)
    co_await state->done.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  if (state->failure) std::rethrow_exception(state->failure);
}

}  // namespace tenantry

#include "tenantry/db/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "db/detail/connection.hpp"
#include "tenantry/db/errors.hpp"

namespace tenantry::db {

namespace {

/// How long a lost listener waits before it connects again.
constexpr std::chrono::milliseconds kReconnectDelay{500};

bool stopped(const ListenLoop& loop) {
  return loop.stop != nullptr && loop.stop->load();
}

/// One connection's life: connect, LISTEN, catch up, then serve notifications until an error or stop.
Task<void> listen_once(boost::asio::io_context& io, const ConnectOptions& options, const ListenLoop& loop,
                       bool& lost) {
  auto listener = co_await Listener::connect(io, options);
  co_await listener->listen(loop.channel);
  co_await loop.on_connected();
  if (lost) spdlog::info("{}: reconnected", loop.name);
  lost = false;
  while (!stopped(loop)) {
    const Notification notification = co_await listener->next();
    co_await loop.on_notify(notification);
  }
}

}  // namespace

Listener::Listener(std::unique_ptr<detail::Connection> conn) : conn_(std::move(conn)) {}
Listener::~Listener() = default;

Task<std::unique_ptr<Listener>> Listener::connect(boost::asio::io_context& io,
                                                  const ConnectOptions& options) {
  auto conn = co_await detail::Connection::open(io, options);
  co_return std::unique_ptr<Listener>(new Listener(std::move(conn)));
}

Task<void> Listener::listen(const std::string& channel) {
  const std::string sql = "LISTEN " + conn_->quote_identifier(channel);
  const detail::Prelude prelude;
  co_await conn_->run_script(sql, prelude);
}

Task<Notification> Listener::next() {
  auto [channel, payload] = co_await conn_->next_notification();
  co_return Notification{std::move(channel), std::move(payload)};
}

Task<void> listen(boost::asio::io_context& io, const ConnectOptions& options, const ListenLoop& loop) {
  boost::asio::steady_timer pause(io);
  bool lost = false;  // said once per outage, not every half second
  while (!stopped(loop)) {
    try {
      co_await listen_once(io, options, loop, lost);
    } catch (const Error& e) {
      if (!stopped(loop) && !lost) spdlog::warn("{}: {}; reconnecting", loop.name, e.what());
      lost = true;
    }
    if (lost && !stopped(loop)) {
      pause.expires_after(kReconnectDelay);
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
  }
}

}  // namespace tenantry::db

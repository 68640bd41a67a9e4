#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "tenantry/core/task.hpp"
#include "tenantry/db/connect_options.hpp"

namespace boost::asio {
class io_context;
}

namespace tenantry::db {

namespace detail {
class Connection;
}

/// A notification received on a LISTENed channel.
struct Notification {
  std::string channel;
  std::string payload;
};

/// A dedicated connection that LISTENs to channels and yields their notifications (PostgreSQL
/// LISTEN/NOTIFY). A lost connection surfaces as ConnectionError from next(): reconnect with a new Listener,
/// or let db::listen() do it.
class Listener {
 public:
  static Task<std::unique_ptr<Listener>> connect(boost::asio::io_context& io, const ConnectOptions& options);
  ~Listener();
  Task<void> listen(const std::string& channel);
  Task<Notification> next();

 private:
  explicit Listener(std::unique_ptr<detail::Connection> conn);
  std::unique_ptr<detail::Connection> conn_;
};

/// What db::listen() keeps current, and how it says so in the log.
struct ListenLoop {
  std::string channel;
  /// Names the loop in its log lines: "<name>: <error>; reconnecting", "<name>: reconnected".
  std::string name;
  /// After every (re)connection, once LISTEN is in place: reload whatever changed while nobody listened.
  std::function<Task<void>()> on_connected;
  /// On every notification.
  std::function<Task<void>(const Notification&)> on_notify;
  /// Ends the loop when set (checked between notifications and reconnections); may be null: loop forever.
  const std::atomic<bool>* stop = nullptr;
};

/// LISTENs to `loop.channel` on a connection of its own and calls the loop's callbacks, reconnecting after
/// a database error every half second until it succeeds. An outage is logged once (a warning) and its end
/// once (info), not every attempt. Returns when `loop.stop` is set; other exceptions end it.
Task<void> listen(boost::asio::io_context& io, const ConnectOptions& options, const ListenLoop& loop);

}  // namespace tenantry::db

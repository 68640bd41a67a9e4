#pragma once

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
/// LISTEN/NOTIFY). A lost connection surfaces as ConnectionError from next(): reconnect with a new Listener.
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

}  // namespace tenantry::db

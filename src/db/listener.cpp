#include "tenantry/db/listener.hpp"

#include "db/detail/connection.hpp"

namespace tenantry::db {

Listener::Listener(std::unique_ptr<detail::Connection> conn) : conn_(std::move(conn)) {}
Listener::~Listener() = default;

Task<std::unique_ptr<Listener>> Listener::connect(boost::asio::io_context& io,
                                                  const ConnectOptions& options) {
  auto conn = co_await detail::Connection::open(io, options);
  co_return std::unique_ptr<Listener>(new Listener(std::move(conn)));
}

Task<void> Listener::listen(const std::string& channel) {
  co_await conn_->run_script("LISTEN " + conn_->quote_identifier(channel), detail::Prelude{});
}

Task<Notification> Listener::next() {
  auto [channel, payload] = co_await conn_->next_notification();
  co_return Notification{std::move(channel), std::move(payload)};
}

}  // namespace tenantry::db

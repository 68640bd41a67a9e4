#include "tenantry/db/pool.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <vector>

#include "db/detail/connection.hpp"

namespace tenantry::db {

namespace asio = boost::asio;

namespace {
/// A coroutine waiting for a connection; woken by release() through its timer.
struct Waiter {
  explicit Waiter(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::unique_ptr<detail::Connection> conn;
  bool may_connect = false;  // a slot freed up: open a new connection
};
}  // namespace

struct Pool::Impl {
  Impl(asio::io_context& io, PoolConfig config) : io(io), config(std::move(config)) {}
  asio::io_context& io;
  PoolConfig config;
  std::vector<std::unique_ptr<detail::Connection>> idle;
  std::deque<Waiter*> waiters;
  std::size_t size = 0;     // idle + leased + being opened
  std::vector<bool> slots;  // which slots hold a connection (opened or being opened)
  bool closed = false;
  PoolStats stats;

  void account(const detail::Connection& c) {
    const auto& k = c.counters();
    stats.round_trips += k.round_trips;
    stats.search_path_switches += k.search_path_switches;
    stats.prepares += k.prepares;
    stats.statements += k.statements;
  }
  void discard(std::unique_ptr<detail::Connection> c) {
    account(*c);
    ++stats.discarded;
    --size;
    slots[c->slot()] = false;
  }
  /// A tenant's home slot: its statements go to the same few backends, so each backend caches the catalog
  /// entries of a subset of the tenants instead of all of them.
  std::size_t home_slot(const std::string& schema) const {
    return std::hash<std::string>{}(schema) % config.max_size;
  }
  std::size_t free_slot(std::size_t preferred) const {
    if (!slots[preferred]) return preferred;
    return static_cast<std::size_t>(std::find(slots.begin(), slots.end(), false) - slots.begin());
  }
};

Lease::Lease(Pool* pool, std::unique_ptr<detail::Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (conn_) pool_->release(std::move(conn_));
    pool_ = other.pool_;
    conn_ = std::move(other.conn_);
  }
  return *this;
}
Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

Pool::Pool(asio::io_context& io, PoolConfig config) : impl_(std::make_unique<Impl>(io, std::move(config))) {
  impl_->slots.assign(impl_->config.max_size, false);
}

Pool::~Pool() {
  close();
}

asio::io_context& Pool::io() const noexcept {
  return impl_->io;
}
const PoolConfig& Pool::config() const noexcept {
  return impl_->config;
}

Task<Lease> Pool::acquire(const std::string* schema) {
  Impl& p = *impl_;
  for (;;) {
    if (p.closed) throw ConnectionError("the connection pool is closed");
    // Idle connections, best first: one already on the wanted schema, the schema's home slot, then the most
    // recently used (warm caches). A connection on another schema costs a pipelined switch, no more.
    const std::size_t home = schema ? p.home_slot(*schema) : 0;
    while (!p.idle.empty()) {
      auto it = p.idle.end() - 1;
      if (schema) {
        auto match = std::find_if(p.idle.rbegin(), p.idle.rend(),
                                  [&](const auto& c) { return c->schema() == *schema; });
        if (match == p.idle.rend())
          match =
              std::find_if(p.idle.rbegin(), p.idle.rend(), [&](const auto& c) { return c->slot() == home; });
        if (match != p.idle.rend()) {
          it = std::prev(match.base());
          ++p.stats.affinity_hits;
        }
      }
      auto conn = std::move(*it);
      p.idle.erase(it);
      if (!conn->still_alive()) {
        p.discard(std::move(conn));
        continue;
      }
      ++p.stats.acquired;
      conn->count_use();
      co_return Lease(this, std::move(conn));
    }
    if (p.size < p.config.max_size) {
      ++p.size;
      const std::size_t slot = p.free_slot(home);
      p.slots[slot] = true;
      std::unique_ptr<detail::Connection> conn;
      try {
        conn = co_await detail::Connection::open(p.io, p.config.connect);
      } catch (...) {
        --p.size;
        p.slots[slot] = false;
        throw;
      }
      conn->set_slot(slot);
      ++p.stats.connects;
      ++p.stats.acquired;
      conn->count_use();
      co_return Lease(this, std::move(conn));
    }
    Waiter waiter(p.io);
    p.waiters.push_back(&waiter);
    waiter.timer.expires_after(p.config.acquire_timeout);
    boost::system::error_code ec;
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (waiter.conn) {
      ++p.stats.acquired;
      waiter.conn->count_use();
      co_return Lease(this, std::move(waiter.conn));
    }
    if (waiter.may_connect) continue;
    std::erase(p.waiters, &waiter);
    ++p.stats.timeouts;
    if (p.closed) throw ConnectionError("the connection pool is closed");
    throw PoolTimeout("no database connection became free within " +
                      std::to_string(p.config.acquire_timeout.count()) + " ms");
  }
}

// An abandoned transaction still holds its locks: roll it back now rather than with the connection's next
// statement, which may come much later.
Task<void> Pool::roll_back_then_release(Pool* pool, std::unique_ptr<detail::Connection> conn) {
  try {
    co_await conn->run({}, {}, detail::Prelude{});  // sends only the pending ROLLBACK
  } catch (const std::exception&) {
    // a failed rollback leaves the connection unusable: release() discards it
  }
  pool->release(std::move(conn));
}

void Pool::release(std::unique_ptr<detail::Connection> conn) noexcept {
  Impl& p = *impl_;
  if (conn->rollback_pending() && conn->usable() && !p.closed) {
    asio::co_spawn(p.io, roll_back_then_release(this, std::move(conn)), asio::detached);
    return;
  }
  const bool worn = p.config.max_connection_uses && conn->uses() >= p.config.max_connection_uses;
  if (p.closed || !conn->usable() || worn) {
    p.discard(std::move(conn));
    if (!p.closed && !p.waiters.empty()) {
      Waiter* w = p.waiters.front();
      p.waiters.pop_front();
      w->may_connect = true;
      w->timer.cancel();
    }
    return;
  }
  if (!p.waiters.empty()) {
    Waiter* w = p.waiters.front();
    p.waiters.pop_front();
    w->conn = std::move(conn);
    w->timer.cancel();
    return;
  }
  p.idle.push_back(std::move(conn));
}

void Pool::close() {
  Impl& p = *impl_;
  p.closed = true;
  for (auto& c : p.idle) p.discard(std::move(c));
  p.idle.clear();
  for (Waiter* w : p.waiters) w->timer.cancel();
  p.waiters.clear();
}

PoolStats Pool::stats() const {
  const Impl& p = *impl_;
  PoolStats s = p.stats;
  s.size = p.size;
  s.idle = p.idle.size();
  s.in_use = p.size - p.idle.size();
  s.waiting = p.waiters.size();
  for (const auto& c : p.idle) {
    const auto& k = c->counters();
    s.round_trips += k.round_trips;
    s.search_path_switches += k.search_path_switches;
    s.prepares += k.prepares;
    s.statements += k.statements;
  }
  return s;
}

}  // namespace tenantry::db

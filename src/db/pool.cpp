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
/// Which connections a request may use: its tenant's home slots, or (public, or after the affinity wait) any.
struct Affinity {
  std::size_t home = 0, width = 0;  // slots [home, home + width) modulo the pool size
  bool any = true;
  bool prefers(std::size_t slot, std::size_t size) const { return (slot + size - home) % size < width; }
  bool accepts(std::size_t slot, std::size_t size) const { return any || prefers(slot, size); }
};

/// A coroutine waiting for a connection; woken by release() through its timer.
struct Waiter {
  Waiter(asio::io_context& io, const Affinity& affinity) : timer(io), affinity(affinity) {}
  asio::steady_timer timer;
  const Affinity& affinity;
  std::unique_ptr<detail::Connection> conn;
  bool may_connect = false;  // a slot it accepts freed up: open a new connection
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
  /// A tenant's home slots: its statements go to the same few backends, so each backend caches the catalog
  /// entries of a share of the tenants instead of all of them (with 10,000 schemas that cache decides
  /// PostgreSQL's speed: a cold lookup costs several times the query).
  Affinity affinity(const std::string* schema) const {
    const std::size_t width = config.connections_per_tenant;
    if (!schema || schema->empty() || width == 0 || width >= config.max_size) return {};
    return {.home = std::hash<std::string>{}(*schema) % config.max_size, .width = width, .any = false};
  }
  /// The idle connection to lease, or idle.end(): one already on the schema, else the most recently used
  /// (warm caches) of those the affinity accepts.
  std::vector<std::unique_ptr<detail::Connection>>::iterator pick_idle(const std::string* schema,
                                                                       const Affinity& a) {
    if (schema) {
      auto on_schema =
          std::find_if(idle.rbegin(), idle.rend(), [&](const auto& c) { return c->schema() == *schema; });
      if (on_schema != idle.rend()) return std::prev(on_schema.base());
    }
    auto preferred = std::find_if(idle.rbegin(), idle.rend(),
                                  [&](const auto& c) { return a.prefers(c->slot(), config.max_size); });
    if (preferred != idle.rend()) return std::prev(preferred.base());
    return (a.any && !idle.empty()) ? idle.end() - 1 : idle.end();
  }
  /// A free slot for a new connection, or max_size: a home slot first.
  std::size_t free_slot(const Affinity& a) const {
    for (std::size_t i = 0; i < a.width; ++i)
      if (!slots[(a.home + i) % config.max_size]) return (a.home + i) % config.max_size;
    if (!a.any) return config.max_size;
    return static_cast<std::size_t>(std::find(slots.begin(), slots.end(), false) - slots.begin());
  }
  /// The longest-waiting request that accepts `slot`, taken off the queue; preferring one whose home it is,
  /// so that connections a request took after its affinity wait go back to their own tenants first.
  Waiter* take_waiter(std::size_t slot) {
    auto it = std::find_if(waiters.begin(), waiters.end(),
                           [&](Waiter* w) { return w->affinity.prefers(slot, config.max_size); });
    if (it == waiters.end())
      it = std::find_if(waiters.begin(), waiters.end(),
                        [&](Waiter* w) { return w->affinity.accepts(slot, config.max_size); });
    if (it == waiters.end()) return nullptr;
    Waiter* w = *it;
    waiters.erase(it);
    return w;
  }
  void count_lease(detail::Connection& conn, const std::string* schema, const Affinity& a) {
    ++stats.acquired;
    if (a.width > 0) {
      const bool own = a.prefers(conn.slot(), config.max_size) || (schema && conn.schema() == *schema);
      ++(own ? stats.affinity_hits : stats.affinity_spills);
    }
    conn.count_use();
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

std::size_t Pool::home_slot(const std::string& schema) const {
  return impl_->affinity(&schema).home;
}

asio::io_context& Pool::io() const noexcept {
  return impl_->io;
}
const PoolConfig& Pool::config() const noexcept {
  return impl_->config;
}

Task<Lease> Pool::acquire(const std::string* schema) {
  Impl& p = *impl_;
  Affinity affinity = p.affinity(schema);
  const auto deadline = std::chrono::steady_clock::now() + p.config.acquire_timeout;
  for (;;) {
    if (p.closed) throw ConnectionError("the connection pool is closed");
    for (auto it = p.pick_idle(schema, affinity); it != p.idle.end(); it = p.pick_idle(schema, affinity)) {
      auto conn = std::move(*it);
      p.idle.erase(it);
      if (!conn->still_alive()) {
        p.discard(std::move(conn));
        continue;
      }
      p.count_lease(*conn, schema, affinity);
      co_return Lease(this, std::move(conn));
    }
    if (const std::size_t slot = p.free_slot(affinity);
        p.size < p.config.max_size && slot < p.config.max_size) {
      ++p.size;
      p.slots[slot] = true;
      std::unique_ptr<detail::Connection> conn;
      try {
        conn = co_await detail::Connection::open(p.io, p.config.connect, p.config.prepared_statements);
      } catch (...) {
        --p.size;
        p.slots[slot] = false;
        throw;
      }
      conn->set_slot(slot);
      ++p.stats.connects;
      p.count_lease(*conn, schema, affinity);
      co_return Lease(this, std::move(conn));
    }
    // Wait for one of the tenant's connections; past the affinity wait, for any.
    Waiter waiter(p.io, affinity);
    p.waiters.push_back(&waiter);
    const auto spill_at = std::chrono::steady_clock::now() + p.config.affinity_wait;
    waiter.timer.expires_at(affinity.any ? deadline : std::min(spill_at, deadline));
    boost::system::error_code ec;
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (waiter.conn) {
      p.count_lease(*waiter.conn, schema, affinity);
      co_return Lease(this, std::move(waiter.conn));
    }
    if (waiter.may_connect) continue;
    std::erase(p.waiters, &waiter);
    if (p.closed) throw ConnectionError("the connection pool is closed");
    if (!affinity.any && std::chrono::steady_clock::now() < deadline) {
      affinity.any = true;
      continue;
    }
    ++p.stats.timeouts;
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
    const std::size_t slot = conn->slot();
    p.discard(std::move(conn));
    if (p.closed) return;
    if (Waiter* w = p.take_waiter(slot)) {
      w->may_connect = true;
      w->timer.cancel();
    }
    return;
  }
  if (Waiter* w = p.take_waiter(conn->slot())) {
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

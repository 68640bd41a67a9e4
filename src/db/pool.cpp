#include "tenantry/db/pool.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db/detail/connection.hpp"
#include "tenantry/db/outage_monitor.hpp"
#include "tenantry/db/session.hpp"

namespace tenantry::db {

namespace asio = boost::asio;

namespace detail {
/// One tenant schema's use of a pool, for the bulkhead: its leases out (and connections being opened for
/// it) and its requests waiting.
struct TenantShare {
  std::size_t leased = 0, waiting = 0;
};
}  // namespace detail

namespace {

/// Adds the statement traffic of `k` (a connection's counters, or another pool's) to `s`: the one place
/// these four are summed.
template <typename Counters>
PoolStats& add_traffic(PoolStats& s, const Counters& k) {
  s.round_trips += k.round_trips;
  s.search_path_switches += k.search_path_switches;
  s.prepares += k.prepares;
  s.statements += k.statements;
  return s;
}

/// Which connections a request may use: its tenant's home slots, or (public, or after the affinity wait) any.
struct Affinity {
  std::size_t home = 0, width = 0;  // slots [home, home + width) modulo the pool size
  bool any = true;
  bool prefers(std::size_t slot, std::size_t size) const { return (slot + size - home) % size < width; }
  bool accepts(std::size_t slot, std::size_t size) const { return any || prefers(slot, size); }
};

/// A coroutine waiting for a connection; woken by release() through its timer.
struct Waiter {
  Waiter(asio::io_context& io, const Affinity& affinity, detail::TenantShare* share, bool capped)
      : timer(io), affinity(affinity), share(share), capped(capped) {}
  asio::steady_timer timer;
  const Affinity& affinity;
  detail::TenantShare* share;  // null: not capped
  bool capped;                 // its tenant has max_connections_per_tenant leases out
  std::unique_ptr<detail::Connection> conn;
  bool retry = false;  // what it waited for happened (a slot freed up, its tenant fell below the cap)
};

/// Idle tenant shares kept for reuse (no allocation for a tenant's next request); past this many, those with
/// nothing leased or waiting are dropped, so thousands of tenants passing through cost no memory.
constexpr std::size_t kMaxIdleShares = 4096;
/// After a connection attempt failed, the pool serves from its open connections for this long before it
/// tries again: at max_connections each attempt costs PostgreSQL a backend start, only to be refused.
constexpr std::chrono::milliseconds kConnectBackoff{1000};
}  // namespace

struct Pool::Impl {
  Impl(asio::io_context& io, PoolConfig config)
      : io(io),
        config(std::move(config)),
        cap(this->config.max_connections_per_tenant < this->config.max_size
                ? this->config.max_connections_per_tenant
                : 0) {}
  asio::io_context& io;
  PoolConfig config;
  const std::size_t cap;  // the bulkhead (0 = none: not set, or no smaller than the pool)
  std::vector<std::unique_ptr<detail::Connection>> idle;
  std::deque<Waiter*> waiters;
  std::size_t size = 0;     // idle + leased + being opened
  std::vector<bool> slots;  // which slots hold a connection (opened or being opened)
  std::unordered_map<std::string, detail::TenantShare> shares;  // by schema, when capped
  std::chrono::steady_clock::time_point no_connects_until{};
  bool closed = false;
  PoolStats stats;

  void account(const detail::Connection& c) { add_traffic(stats, c.counters()); }
  void discard(std::unique_ptr<detail::Connection> c) {
    account(*c);
    ++stats.discarded;
    --size;
    slots[c->slot()] = false;
  }
  /// A tenant's home slots: its statements go to the same few backends, so each backend caches the catalog
  /// entries of a share of the tenants instead of all of them (with 10,000 schemas that cache decides
  /// PostgreSQL's speed: a cold lookup costs several times the query).
  Affinity affinity(const SchemaName* schema) const {
    const std::size_t width = config.connections_per_tenant;
    if (!schema || schema->is_public() || width == 0 || width >= config.max_size) return {};
    return {.home = std::hash<std::string>{}(schema->str()) % config.max_size, .width = width, .any = false};
  }

  // The bulkhead.
  detail::TenantShare* share_for(const SchemaName* schema) {
    if (cap == 0 || !schema || schema->is_public()) return nullptr;
    return &shares.try_emplace(schema->str()).first->second;  // no allocation once the tenant has an entry
  }
  bool at_cap(const detail::TenantShare* share) const { return share && share->leased >= cap; }
  void grant(detail::TenantShare* share) {
    if (share) ++share->leased;
  }
  /// A lease of `share` came back: one of its capped waiters may go on (it re-tries: the connection itself
  /// may have gone to another tenant's waiter or been discarded).
  void give_back(detail::TenantShare* share) {
    if (!share) return;
    --share->leased;
    if (share->waiting > 0 && !at_cap(share)) {
      auto it = std::find_if(waiters.begin(), waiters.end(),
                             [&](Waiter* w) { return w->share == share && w->capped; });
      if (it != waiters.end()) {
        Waiter* w = *it;
        waiters.erase(it);
        w->retry = true;
        w->timer.cancel();
      }
    }
  }
  void forget_idle_shares() {
    if (shares.size() > kMaxIdleShares)
      std::erase_if(shares,
                    [](const auto& entry) { return entry.second.leased + entry.second.waiting == 0; });
  }

  /// The idle connection to lease, or idle.end(): one already on the schema, else the most recently used
  /// (warm caches) of those the affinity accepts.
  std::vector<std::unique_ptr<detail::Connection>>::iterator pick_idle(const SchemaName* schema,
                                                                       const Affinity& a) {
    if (schema) {
      auto on_schema = std::find_if(idle.rbegin(), idle.rend(),
                                    [&](const auto& c) { return c->schema() == schema->str(); });
      if (on_schema != idle.rend()) return std::prev(on_schema.base());
    }
    auto preferred = std::find_if(idle.rbegin(), idle.rend(),
                                  [&](const auto& c) { return a.prefers(c->slot(), config.max_size); });
    if (preferred != idle.rend()) return std::prev(preferred.base());
    return (a.any && !idle.empty()) ? idle.end() - 1 : idle.end();
  }
  /// An idle connection that is still alive (dead ones are discarded on the way), or null.
  std::unique_ptr<detail::Connection> take_idle(const SchemaName* schema, const Affinity& a) {
    for (auto it = pick_idle(schema, a); it != idle.end(); it = pick_idle(schema, a)) {
      auto conn = std::move(*it);
      idle.erase(it);
      if (conn->still_alive()) return conn;
      discard(std::move(conn));
    }
    return nullptr;
  }
  /// A free slot for a new connection, or max_size: a home slot first.
  std::size_t free_slot(const Affinity& a) const {
    for (std::size_t i = 0; i < a.width; ++i)
      if (!slots[(a.home + i) % config.max_size]) return (a.home + i) % config.max_size;
    if (!a.any) return config.max_size;
    return static_cast<std::size_t>(std::find(slots.begin(), slots.end(), false) - slots.begin());
  }
  /// Whether to try opening a connection: always when none is open (a request has nothing else to wait
  /// for), else not while backing off after a failed attempt.
  bool may_connect() const { return size == 0 || std::chrono::steady_clock::now() >= no_connects_until; }
  /// A connection attempt for `slot` failed: undo its reservation and back off.
  void connect_failed(std::size_t slot, detail::TenantShare* share, std::string_view why) {
    --size;
    slots[slot] = false;
    give_back(share);
    ++stats.connect_failures;
    no_connects_until = std::chrono::steady_clock::now() + kConnectBackoff;
    if (config.outage) config.outage->failed(why);
  }
  /// The longest-waiting request that accepts `slot` and whose tenant is below the cap, taken off the
  /// queue; preferring one whose home it is, so that connections a request took after its affinity wait go
  /// back to their own tenants first.
  Waiter* take_waiter(std::size_t slot) {
    auto may_take = [&](const Waiter* w, bool home) {
      return !at_cap(w->share) &&
             (home ? w->affinity.prefers(slot, config.max_size) : w->affinity.accepts(slot, config.max_size));
    };
    auto it = std::find_if(waiters.begin(), waiters.end(), [&](Waiter* w) { return may_take(w, true); });
    if (it == waiters.end())
      it = std::find_if(waiters.begin(), waiters.end(), [&](Waiter* w) { return may_take(w, false); });
    if (it == waiters.end()) return nullptr;
    Waiter* w = *it;
    waiters.erase(it);
    return w;
  }
  void count_lease(detail::Connection& conn, const SchemaName* schema, const Affinity& a) {
    ++stats.acquired;
    if (a.width > 0) {
      const bool own = a.prefers(conn.slot(), config.max_size) || (schema && conn.schema() == schema->str());
      ++(own ? stats.affinity_hits : stats.affinity_spills);
    }
    conn.count_use();
  }
};

Lease::Lease(Pool* pool, std::unique_ptr<detail::Connection> conn, detail::TenantShare* share)
    : pool_(pool), conn_(std::move(conn)), share_(share) {}
Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), share_(other.share_) {}
Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (conn_) pool_->release(std::move(conn_), share_);
    pool_ = other.pool_;
    conn_ = std::move(other.conn_);
    share_ = other.share_;
  }
  return *this;
}
Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_), share_);
}

Pool::Pool(asio::io_context& io, PoolConfig config)
    : impl_(std::make_unique<Impl>(io, std::move(config))),
      public_session_(std::make_unique<Session>(*this)) {
  impl_->slots.assign(impl_->config.max_size, false);
}

const Session& Pool::session() const noexcept {
  return *public_session_;
}

Pool::~Pool() {
  close();
}

std::size_t Pool::home_slot(const SchemaName& schema) const {
  return impl_->affinity(&schema).home;
}

asio::io_context& Pool::io() const noexcept {
  return impl_->io;
}
const PoolConfig& Pool::config() const noexcept {
  return impl_->config;
}

Task<Lease> Pool::acquire(const SchemaName* schema) {
  Impl& p = *impl_;
  Affinity affinity = p.affinity(schema);
  detail::TenantShare* const share = p.share_for(schema);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + p.config.acquire_timeout;
  const auto spill_at = start + p.config.affinity_wait;
  bool counted_cap_wait = false;
  for (;;) {
    if (p.closed) throw ConnectionError("the connection pool is closed");
    const bool capped = p.at_cap(share);
    bool backing_off = false;
    if (!capped) {
      if (auto conn = p.take_idle(schema, affinity)) {
        p.grant(share);
        p.count_lease(*conn, schema, affinity);
        co_return Lease(this, std::move(conn), share);
      }
      const std::size_t slot = p.free_slot(affinity);
      const bool room = p.size < p.config.max_size && slot < p.config.max_size;
      backing_off = room && !p.may_connect();
      if (room && !backing_off) {
        ++p.size;
        p.slots[slot] = true;
        p.grant(share);  // counted while it opens: the tenant's next requests see it
        std::unique_ptr<detail::Connection> conn;
        std::string failure;
        try {
          conn = co_await detail::Connection::open(p.io, p.config.connect, p.config.prepared_statements);
        } catch (const Error& e) {
          failure = e.what();
        }
        if (conn) {
          conn->set_slot(slot);
          ++p.stats.connects;
          if (p.config.outage) p.config.outage->connected();
          p.count_lease(*conn, schema, affinity);
          co_return Lease(this, std::move(conn), share);
        }
        p.connect_failed(slot, share, failure);
        if (p.size == 0) throw ConnectionError(failure);
        // E.g. PostgreSQL's max_connections: rather than fail, take whichever open connection comes free.
        ++p.stats.connect_fallbacks;
        affinity.any = true;
        continue;
      }
    }
    // Wait: for one of the tenant's connections (any past the affinity wait), for one of its own leases to
    // come back (the bulkhead), or for the end of a connect back-off.
    if (capped && !counted_cap_wait) {
      ++p.stats.tenant_cap_waits;
      counted_cap_wait = true;
    }
    Waiter waiter(p.io, affinity, share, capped);
    auto wake_at = deadline;
    if (!capped && !affinity.any) wake_at = std::min(wake_at, spill_at);
    if (backing_off) wake_at = std::min(wake_at, p.no_connects_until);
    waiter.timer.expires_at(wake_at);
    p.waiters.push_back(&waiter);
    if (share) ++share->waiting;
    boost::system::error_code ec;
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (share) --share->waiting;
    if (waiter.conn) {
      p.count_lease(*waiter.conn, schema, affinity);  // release() counted it in the tenant's share
      co_return Lease(this, std::move(waiter.conn), share);
    }
    if (waiter.retry) continue;
    std::erase(p.waiters, &waiter);
    if (p.closed) throw ConnectionError("the connection pool is closed");
    if (const auto now = std::chrono::steady_clock::now(); now < deadline) {
      if (now >= spill_at) affinity.any = true;
      continue;
    }
    ++p.stats.timeouts;
    throw PoolTimeout("no database connection became free within " +
                      std::to_string(p.config.acquire_timeout.count()) + " ms");
  }
}

// An abandoned transaction still holds its locks: roll it back now rather than with the connection's next
// statement, which may come much later.
Task<void> Pool::roll_back_then_release(Pool* pool, std::unique_ptr<detail::Connection> conn,
                                        detail::TenantShare* share) {
  try {
    const ParamList none;
    const detail::Prelude prelude;
    co_await conn->run({}, none, prelude);  // sends only the pending ROLLBACK
  } catch (const std::exception&) {
    // a failed rollback leaves the connection unusable: release() discards it
  }
  pool->release(std::move(conn), share);
}

void Pool::release(std::unique_ptr<detail::Connection> conn, detail::TenantShare* share) noexcept {
  Impl& p = *impl_;
  if (conn->rollback_pending() && conn->usable() && !p.closed) {
    // The tenant keeps counting the connection until it is rolled back and really free.
    asio::co_spawn(p.io, roll_back_then_release(this, std::move(conn), share), asio::detached);
    return;
  }
  p.give_back(share);
  const bool worn = p.config.max_connection_uses && conn->uses() >= p.config.max_connection_uses;
  if (p.closed || !conn->usable() || worn) {
    const std::size_t slot = conn->slot();
    p.discard(std::move(conn));
    if (p.closed) return;
    if (Waiter* w = p.take_waiter(slot)) {
      w->retry = true;
      w->timer.cancel();
    }
  } else if (Waiter* w = p.take_waiter(conn->slot())) {
    p.grant(w->share);  // now, so that no one overtakes it before it resumes
    w->conn = std::move(conn);
    w->timer.cancel();
  } else {
    p.idle.push_back(std::move(conn));
  }
  if (share && share->leased == 0) p.forget_idle_shares();
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
  for (const auto& c : p.idle) add_traffic(s, c->counters());
  return s;
}

PoolStats& PoolStats::operator+=(const PoolStats& o) noexcept {
  size += o.size;
  idle += o.idle;
  in_use += o.in_use;
  waiting += o.waiting;
  acquired += o.acquired;
  affinity_hits += o.affinity_hits;
  affinity_spills += o.affinity_spills;
  connects += o.connects;
  discarded += o.discarded;
  timeouts += o.timeouts;
  tenant_cap_waits += o.tenant_cap_waits;
  connect_failures += o.connect_failures;
  connect_fallbacks += o.connect_fallbacks;
  return add_traffic(*this, o);
}

}  // namespace tenantry::db

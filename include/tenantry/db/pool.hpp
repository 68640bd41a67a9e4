#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tenantry/core/task.hpp"
#include "tenantry/db/connect_options.hpp"
#include "tenantry/db/schema_name.hpp"

namespace boost::asio {
class io_context;
}

namespace tenantry::db {

namespace detail {
class Connection;
struct TenantShare;
}  // namespace detail

class OutageMonitor;

/// Sizing and behaviour of one Pool.
struct PoolConfig {
  ConnectOptions connect;
  std::size_t max_size = 8;
  std::chrono::milliseconds acquire_timeout{5000};
  /// Recycle a connection after this many leases (0 = never): bounds each backend's catalog cache.
  std::uint64_t max_connection_uses = 0;
  /// Tenant affinity: a tenant's statements go to this many of the pool's connections (its home slots; 0 or
  /// max_size = any). Each backend then caches the catalogs and plans of a share of the tenants instead of
  /// all of them: with thousands of schemas, a backend's first statement for a tenant costs several times the
  /// statement itself.
  std::size_t connections_per_tenant = 1;
  /// How long a request waits for one of its tenant's connections before taking another one, idle or the
  /// next to come free: bounds what a slow neighbour or a burst of the tenant's own requests costs.
  std::chrono::milliseconds affinity_wait{25};
  /// Prepared statements kept per connection (one per tenant schema and SQL text, least recently used
  /// evicted).
  std::size_t prepared_statements = 1024;
  /// The bulkhead: at most this many of the pool's connections serve one tenant schema at a time (0 = no
  /// cap). A tenant whose requests all block (a table lock, a slow query) then queues behind its own
  /// requests, bounded by the acquire timeout, and the other tenants keep the rest of the pool. Leases for
  /// public are not capped.
  std::size_t max_connections_per_tenant = 0;
  /// Told about connections that cannot be opened and about the first one that opens again (may be null).
  OutageMonitor* outage = nullptr;
};

/// A snapshot of a pool's state and the traffic of its connections (including closed ones).
struct PoolStats {
  std::size_t size = 0, idle = 0, in_use = 0, waiting = 0;
  std::uint64_t acquired = 0, affinity_hits = 0, affinity_spills = 0, connects = 0, discarded = 0,
                timeouts = 0;
  /// Acquisitions that waited because their tenant had max_connections_per_tenant leases out; connection
  /// attempts that failed, and of those the ones served by an open connection instead.
  std::uint64_t tenant_cap_waits = 0, connect_failures = 0, connect_fallbacks = 0;
  std::uint64_t round_trips = 0, search_path_switches = 0, prepares = 0, statements = 0;

  /// Adds every field of `other`, gauges included: the stats of several pools (one per I/O thread) as one.
  PoolStats& operator+=(const PoolStats& other) noexcept;
};

class Pool;
class Session;

/// Exclusive use of one connection of a Pool; gives it back when destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();
  detail::Connection& connection() const noexcept { return *conn_; }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<detail::Connection> conn, detail::TenantShare* share);
  Pool* pool_;
  std::unique_ptr<detail::Connection> conn_;
  detail::TenantShare* share_;  // the tenant's count of leases, for the bulkhead; null: not capped
};

/// A bounded set of connections owned by one io_context (one I/O thread): no locks on the hot path.
/// Use it only from its io_context's thread; it must outlive every Lease, Session and Transaction on it.
class Pool {
 public:
  Pool(boost::asio::io_context& io, PoolConfig config);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// A connection for `schema` (null: any, e.g. public): an idle one already on the schema, else one of the
  /// schema's home slots (tenant affinity). When those are busy it waits for one of them, for another
  /// connection after `affinity_wait`, and throws PoolTimeout after the acquire timeout. A tenant with
  /// max_connections_per_tenant leases out waits for one of its own to come back. When a new connection
  /// cannot be opened (e.g. PostgreSQL's max_connections) it takes an open one instead, idle or the next
  /// to come free; it throws ConnectionError only when the pool has none.
  Task<Lease> acquire(const SchemaName* schema = nullptr);
  /// The first of the slots whose connections serve `schema` (its home); the others follow it, wrapping.
  std::size_t home_slot(const SchemaName& schema) const;
  /// Closes idle connections and refuses new acquisitions; leases still out close on return.
  void close();
  PoolStats stats() const;
  /// A session on this pool in the public schema, named and alive as long as the pool: write
  /// `co_await pool.session().query(...)` rather than build a Session temporary inside co_await (the
  /// coroutine rule, tenantry/core/task.hpp).
  const Session& session() const noexcept;
  boost::asio::io_context& io() const noexcept;
  const PoolConfig& config() const noexcept;

 private:
  friend class Lease;
  void release(std::unique_ptr<detail::Connection> conn, detail::TenantShare* share) noexcept;
  static Task<void> roll_back_then_release(Pool* pool, std::unique_ptr<detail::Connection> conn,
                                           detail::TenantShare* share);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<const Session> public_session_;  // see session()
};

}  // namespace tenantry::db

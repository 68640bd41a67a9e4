#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "db/detail/statement_cache.hpp"
#include "tenantry/core/task.hpp"
#include "tenantry/db/connect_options.hpp"
#include "tenantry/db/params.hpp"
#include "tenantry/db/query_cost.hpp"
#include "tenantry/db/result.hpp"
#include "tenantry/db/schema_name.hpp"

struct pg_conn;

namespace tenantry::db::detail {

/// What to send ahead of a statement in the same pipeline flush.
struct Prelude {
  /// The schema whose tables the statement must see; nullptr = leave search_path as is.
  const SchemaName* schema = nullptr;
  /// A statement that opens a transaction (e.g. "BEGIN"), or nullptr.
  const char* begin = nullptr;
  /// Inside a transaction: a failed statement must not be retried.
  bool in_transaction = false;
};

/// One statement of a pipelined batch.
struct BatchStatement {
  std::string_view sql;
  const ParamList* params;
};

/// Counters of one connection's traffic, read by tests and metrics.
struct ConnectionCounters {
  std::uint64_t round_trips = 0;
  std::uint64_t search_path_switches = 0;
  std::uint64_t prepares = 0;
  std::uint64_t statements = 0;
  /// Time from sending a round trip to reading its last result, and the rows of the results.
  std::uint64_t busy_nanoseconds = 0;
  std::uint64_t rows = 0;
};

/// One libpq connection in non-blocking pipeline mode, driven by an Asio descriptor.
/// Not thread-safe and runs one request at a time: the pool hands it to one user at a time.
class Connection {
 public:
  /// `max_statements` bounds the prepared statements it keeps (one per tenant schema and SQL text), so a
  /// backend's plan memory stays bounded however many tenants and however much dynamic SQL pass through it.
  static Task<std::unique_ptr<Connection>> open(boost::asio::io_context& io, const ConnectOptions& options,
                                                std::size_t max_statements = 1024);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement, prepared and cached, with its prelude in the same flush: one round trip.
  /// An empty `sql` sends only the prelude.
  Task<Result> run(std::string_view sql, const ParamList& params, const Prelude& prelude);
  /// Runs several statements after the prelude in the same flush (one round trip); results in order.
  Task<std::vector<Result>> run_batch(std::span<const BatchStatement> batch, const Prelude& prelude);
  /// Runs several statements separated by `;` (simple protocol) after the prelude, e.g. a migration file.
  /// Returns the last statement's result.
  Task<Result> run_script(std::string_view sql, const Prelude& prelude);
  /// Waits for the next NOTIFY on a channel this connection LISTENs to.
  Task<std::pair<std::string, std::string>> next_notification();

  /// False once the connection broke; the pool then discards it.
  bool usable() const;
  /// A transaction was abandoned: the next request first rolls it back (in the same flush), which also
  /// restores the search_path of before the transaction.
  void abandon_transaction(std::optional<std::string> schema_before) {
    rollback_pending_ = true;
    schema_ = std::move(schema_before);
  }
  bool rollback_pending() const noexcept { return rollback_pending_; }
  /// After a rollback the server's search_path is the one of before the transaction.
  void restore_schema(std::optional<std::string> schema) { schema_ = std::move(schema); }
  /// Checks, without blocking, that an idle connection was not closed by the server meanwhile.
  bool still_alive();
  /// The schema set by the last search_path switch, if known.
  const std::optional<std::string>& schema() const noexcept { return schema_; }
  void forget_schema() noexcept { schema_.reset(); }
  const ConnectionCounters& counters() const noexcept { return counters_; }
  std::uint64_t uses() const noexcept { return uses_; }
  /// The pool slot this connection occupies; tenants hash onto slots (affinity).
  std::size_t slot() const noexcept { return slot_; }
  void set_slot(std::size_t slot) noexcept { slot_ = slot; }
  void count_use() noexcept { ++uses_; }
  std::string quote_identifier(std::string_view name) const;
  /// The database this connection is on.
  std::string_view database() const;

 private:
  Connection(boost::asio::io_context& io, pg_conn* conn, std::size_t max_statements);
  Task<void> connect(const ConnectOptions& options);
  Task<std::vector<Result>> run_once(std::span<const BatchStatement> batch, const Prelude& prelude);
  void send_prelude(const Prelude& prelude, int& commands);
  Task<void> flush();
  Task<void> wait_readable();
  Task<pg_result*> next_result();
  void adopt_socket();
  [[noreturn]] void fail(std::string_view what);
  std::string search_path_for(const SchemaName& schema) const;
  /// The role of `schema`'s statements with ConnectOptions::tenant_roles: "none" (the login role) for
  /// public, else the tenant's role.
  std::string role_for(const SchemaName& schema) const;

  /// The schema a statement is prepared for: the prelude's, else the connection's current one.
  std::string_view statement_schema(const Prelude& prelude) const;

  boost::asio::io_context& io_;
  pg_conn* conn_;
  boost::asio::posix::stream_descriptor socket_;
  std::optional<std::string> schema_;
  bool tenant_roles_ = false;
  bool rollback_pending_ = false;
  bool broken_ = false;
  StatementCache statements_;
  std::uint64_t uses_ = 0;
  std::size_t slot_ = 0;
  ConnectionCounters counters_;
};

/// Adds what a connection did while it lived (the counters' difference) to a QueryCost, if any: two reads
/// of counters, so that accounting costs no clock call nor lookup per statement beyond the connection's own.
/// Must not outlive the connection.
class CostMeter {
 public:
  CostMeter(const Connection& connection, QueryCost* cost) noexcept
      : connection_(connection), cost_(cost), before_(connection.counters()) {}
  ~CostMeter() {
    if (cost_ == nullptr) return;
    const ConnectionCounters& now = connection_.counters();
    cost_->time += std::chrono::nanoseconds(now.busy_nanoseconds - before_.busy_nanoseconds);
    cost_->rows += now.rows - before_.rows;
    cost_->statements += now.statements - before_.statements;
  }
  CostMeter(const CostMeter&) = delete;
  CostMeter& operator=(const CostMeter&) = delete;

 private:
  const Connection& connection_;
  QueryCost* cost_;
  ConnectionCounters before_;
};

}  // namespace tenantry::db::detail

#include "db/detail/connection.hpp"

#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <chrono>
#include <vector>

#include "tenantry/db/tenant_roles.hpp"

namespace tenantry::db::detail {

namespace asio = boost::asio;
using asio::posix::descriptor_base;

namespace {

constexpr const char* kSwitchSql = "SELECT set_config('search_path', $1, false)";
// The same with the role: one statement, so that the two never part (an aborted pipeline group undoes both).
// set_config('role', ...) is SET ROLE: PostgreSQL checks that the login role may take it.
constexpr const char* kSwitchWithRoleSql =
    "SELECT set_config('search_path', $1, false), set_config('role', $2, false)";

ServerError::Fields error_fields(const PGresult* r, const PGconn* conn) {
  auto field = [r](int code) {
    const char* v = PQresultErrorField(r, code);
    return std::string(v ? v : "");
  };
  ServerError::Fields f{field(PG_DIAG_SQLSTATE),       field(PG_DIAG_MESSAGE_PRIMARY),
                        field(PG_DIAG_MESSAGE_DETAIL), field(PG_DIAG_MESSAGE_HINT),
                        field(PG_DIAG_SCHEMA_NAME),    field(PG_DIAG_TABLE_NAME),
                        field(PG_DIAG_COLUMN_NAME),    field(PG_DIAG_CONSTRAINT_NAME)};
  if (f.message.empty()) f.message = PQerrorMessage(conn);
  while (!f.message.empty() && f.message.back() == '\n') f.message.pop_back();
  return f;
}

bool is_stale_plan(const ServerError::Fields& f) {
  return f.sqlstate == "0A000" &&
         f.message.find("cached plan must not change result type") != std::string::npos;
}

/// Whether libpq reads `text` as a connection string rather than a database name (as recognized_connection_
/// string() in libpq does).
bool is_connection_string(std::string_view text) {
  return text.starts_with("postgresql://") || text.starts_with("postgres://") ||
         text.find('=') != std::string_view::npos;
}

/// libpq's parse errors quote pieces of the connection string (`missing "=" after "horse"`, `invalid
/// percent-encoded token: "pa%zz"`), and a piece may be part of the password: those are masked. Pieces that
/// are only punctuation (`"="`) are kept, for the sense of the message.
std::string without_quoted_pieces(std::string_view message) {
  std::string out;
  for (std::size_t i = 0; i < message.size();) {
    const std::size_t open = message.find('"', i);
    const std::size_t close = open == std::string_view::npos ? open : message.find('"', open + 1);
    if (close == std::string_view::npos) {
      out.append(message.substr(i));
      break;
    }
    const std::string_view piece = message.substr(open + 1, close - open - 1);
    const bool words = std::any_of(piece.begin(), piece.end(),
                                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    out.append(message.substr(i, open + 1 - i)).append(words ? "***" : piece).append("\"");
    i = close + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

/// Parses the connection string first, so that a malformed one is reported without its secrets.
void check_connection_string(const std::string& conninfo) {
  if (!is_connection_string(conninfo)) return;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return;
  }
  const std::string why = error ? without_quoted_pieces(error) : std::string("out of memory");
  PQfreemem(error);
  throw ConnectionError("invalid database connection string (database.url): " + why);
}

std::uint64_t elapsed_nanoseconds(std::chrono::steady_clock::time_point since) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count());
}

/// libpq wants C arrays of nullable C strings.
struct ParamArrays {
  explicit ParamArrays(const ParamList& params) {
    values.reserve(params.size());
    for (const auto& v : params.values()) values.push_back(v ? v->c_str() : nullptr);
  }
  int count() const { return static_cast<int>(values.size()); }
  const char* const* data() const { return values.empty() ? nullptr : values.data(); }
  std::vector<const char*> values;
};

}  // namespace

Connection::Connection(asio::io_context& io, pg_conn* conn, std::size_t max_statements)
    : io_(io), conn_(conn), socket_(io), statements_(max_statements) {}

Connection::~Connection() {
  // Release the descriptor before PQfinish closes it, so the event loop never watches a closed or reused fd.
  if (socket_.is_open()) socket_.release();
  PQfinish(conn_);
}

Task<std::unique_ptr<Connection>> Connection::open(asio::io_context& io, const ConnectOptions& options,
                                                   std::size_t max_statements) {
  check_connection_string(options.conninfo);
  std::string startup = "-c TimeZone=UTC -c DateStyle=ISO,YMD";
  if (options.statement_timeout)
    startup += " -c statement_timeout=" + std::to_string(options.statement_timeout->count());
  if (options.lock_timeout) startup += " -c lock_timeout=" + std::to_string(options.lock_timeout->count());
  std::vector<const char*> keys{"dbname", "application_name", "options", "client_encoding"};
  std::vector<const char*> values{options.conninfo.c_str(), options.application_name.c_str(), startup.c_str(),
                                  "UTF8"};
  if (!options.dbname.empty()) {
    keys.push_back("dbname");  // a later dbname overrides the one inside the connection string
    values.push_back(options.dbname.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* raw = PQconnectStartParams(keys.data(), values.data(), 1);
  if (raw == nullptr) throw ConnectionError("out of memory while connecting to PostgreSQL");
  std::unique_ptr<Connection> conn(new Connection(io, raw, max_statements));
  if (PQstatus(raw) == CONNECTION_BAD) conn->fail("cannot connect to PostgreSQL");
  // Notices (e.g. "relation already exists, skipping") are not errors: keep them off stderr.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  co_await conn->connect(options);
  conn->tenant_roles_ = options.tenant_roles;
  co_return conn;
}

Task<void> Connection::connect(const ConnectOptions& options) {
  if (PQsetnonblocking(conn_, 1) != 0) fail("cannot make the connection non-blocking");
  asio::steady_timer timer(io_);
  bool timed_out = false;
  timer.expires_after(options.connect_timeout);
  timer.async_wait([this, &timed_out](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the coroutine (and timed_out) may be gone
    timed_out = true;
    if (socket_.is_open()) socket_.cancel();
  });
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) fail("cannot connect to PostgreSQL");
    adopt_socket();  // libpq may open a new socket at any step (e.g. trying the next host)
    boost::system::error_code ec;
    co_await socket_.async_wait(
        status == PGRES_POLLING_READING ? descriptor_base::wait_read : descriptor_base::wait_write,
        asio::redirect_error(asio::use_awaitable, ec));
    if (timed_out) {
      broken_ = true;
      throw ConnectionError("timed out connecting to PostgreSQL");
    }
    if (ec) fail("connecting: " + ec.message());
    status = PQconnectPoll(conn_);
  }
  timer.cancel();
  adopt_socket();
  if (PQenterPipelineMode(conn_) != 1) fail("cannot enter pipeline mode");
}

void Connection::adopt_socket() {
  int fd = PQsocket(conn_);
  if (fd < 0) fail("connection has no socket");
  if (socket_.is_open() && socket_.native_handle() == fd) return;
  if (socket_.is_open()) socket_.release();
  socket_.assign(fd);
}

bool Connection::still_alive() {
  if (!usable()) return false;
  // An idle connection has nothing to read unless the server closed it (a FATAL message, then EOF) or
  // sent a notice: read whatever is there without blocking.
  for (int reads = 0; reads < 8 && !broken_; ++reads) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  }
  return !broken_;
}

bool Connection::usable() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

void Connection::fail(std::string_view what) {
  broken_ = true;
  std::string message(what);
  const char* detail = PQerrorMessage(conn_);
  if (detail && *detail) {
    message += ": ";
    message += detail;
    while (!message.empty() && message.back() == '\n') message.pop_back();
  }
  throw ConnectionError(message);
}

std::string Connection::quote_identifier(std::string_view name) const {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr) throw Error("cannot quote identifier: " + std::string(PQerrorMessage(conn_)));
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string Connection::search_path_for(const SchemaName& schema) const {
  if (schema.is_public()) return "public";
  return quote_identifier(schema.str()) + ", public";
}

std::string_view Connection::database() const {
  const char* name = PQdb(conn_);
  return name ? std::string_view(name) : std::string_view();
}

std::string Connection::role_for(const SchemaName& schema) const {
  if (schema.is_public()) return "none";
  return tenant_role_name(database(), schema);
}

std::string_view Connection::statement_schema(const Prelude& prelude) const {
  if (prelude.schema) return prelude.schema->str();
  return schema_ ? std::string_view(*schema_) : std::string_view();
}

void Connection::send_prelude(const Prelude& prelude, int& commands) {
  auto send = [&](const char* sql, int n, const char* const* values) {
    if (!PQsendQueryParams(conn_, sql, n, nullptr, values, nullptr, nullptr, 0)) fail("sending");
    ++commands;
  };
  if (rollback_pending_) {
    send("ROLLBACK", 0, nullptr);
    rollback_pending_ = false;
  }
  if (statements_.has_deallocations())
    // DEALLOCATE is a utility statement: one per command, in the same flush as the request's statements.
    for (const auto& name : statements_.take_deallocations())
      send(("DEALLOCATE " + name).c_str(), 0, nullptr);
  if (prelude.begin) send(prelude.begin, 0, nullptr);
  if (prelude.schema && schema_ != prelude.schema->str()) {
    const std::string path = search_path_for(*prelude.schema);
    if (tenant_roles_) {
      const std::string role = role_for(*prelude.schema);
      const char* values[] = {path.c_str(), role.c_str()};
      send(kSwitchWithRoleSql, 2, values);
    } else {
      const char* values[] = {path.c_str()};
      send(kSwitchSql, 1, values);
    }
    ++counters_.search_path_switches;
  }
}

Task<Result> Connection::run(std::string_view sql, const ParamList& params, const Prelude& prelude) {
  if (sql.empty()) {
    const std::span<const BatchStatement> none;
    co_await run_once(none, prelude);  // the prelude alone
    co_return Result();
  }
  const BatchStatement one{sql, &params};
  const std::span<const BatchStatement> batch(&one, 1);
  auto results = co_await run_batch(batch, prelude);
  co_return std::move(results.front());
}

Task<std::vector<Result>> Connection::run_batch(std::span<const BatchStatement> batch,
                                                const Prelude& prelude) {
  for (int attempt = 0;; ++attempt) {
    bool retry = false;
    try {
      co_return co_await run_once(batch, prelude);
    } catch (const FeatureNotSupported& e) {
      // A statement was prepared against another shape of the table (a tenant migrated since, or a tenant at
      // another migration level): prepare afresh, once. Not inside a transaction, which the error has
      // aborted.
      if (attempt > 0 || prelude.in_transaction || !is_stale_plan(e.fields())) throw;
      retry = true;
    }
    if (retry)
      for (const auto& statement : batch) statements_.forget(statement_schema(prelude), statement.sql, true);
  }
}

Task<std::vector<Result>> Connection::run_once(std::span<const BatchStatement> batch,
                                               const Prelude& prelude) {
  if (broken_) throw ConnectionError("connection is broken");
  const std::string statement_schema(this->statement_schema(prelude));
  int commands = 0;
  send_prelude(prelude, commands);
  const bool switching = prelude.schema && schema_ != prelude.schema->str();
  // What each command of the pipeline is: -1 prelude, 2i the prepare of statement i, 2i+1 its execution.
  std::vector<int> role(static_cast<std::size_t>(commands), -1);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ParamArrays arrays(*batch[i].params);
    const std::string* name = statements_.find(statement_schema, batch[i].sql);
    if (name == nullptr) {
      name = &statements_.add(statement_schema, batch[i].sql);
      const std::string text(batch[i].sql);
      if (!PQsendPrepare(conn_, name->c_str(), text.c_str(), arrays.count(), nullptr)) fail("sending");
      role.push_back(static_cast<int>(2 * i));
      ++counters_.prepares;
    }
    if (!PQsendQueryPrepared(conn_, name->c_str(), arrays.count(), arrays.data(), nullptr, nullptr, 0))
      fail("sending");
    role.push_back(static_cast<int>(2 * i + 1));
    ++counters_.statements;
  }
  if (!PQpipelineSync(conn_)) fail("sending");
  const auto sent = std::chrono::steady_clock::now();
  co_await flush();
  ++counters_.round_trips;

  std::optional<ServerError::Fields> error;
  std::vector<bool> prepare_failed(batch.size(), false);
  std::vector<Result> results(batch.size());
  std::size_t index = 0;
  int idle_nulls = 0;
  for (;;) {
    PGresult* r = co_await next_result();
    if (r == nullptr) {
      // A NULL ends one command's results; several in a row mean nothing more is coming.
      if (++idle_nulls > 2 || PQstatus(conn_) != CONNECTION_OK) fail("pipeline ended without a sync");
      continue;
    }
    idle_nulls = 0;
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
    if (status == PGRES_FATAL_ERROR && !error) error = error_fields(r, conn_);
    const int what = index < role.size() ? role[index] : -1;
    if (what >= 0 && what % 2 == 0 && !ok) prepare_failed[static_cast<std::size_t>(what / 2)] = true;
    if (status == PGRES_TUPLES_OK) counters_.rows += static_cast<std::uint64_t>(PQntuples(r));
    if (what >= 0 && what % 2 == 1 && ok)
      results[static_cast<std::size_t>(what / 2)] = Result(r);
    else
      PQclear(r);
    ++index;
    if (PQstatus(conn_) != CONNECTION_OK) fail("connection lost");
  }
  counters_.busy_nanoseconds += elapsed_nanoseconds(sent);

  for (std::size_t i = 0; i < batch.size(); ++i)
    if (prepare_failed[i]) statements_.forget(statement_schema, batch[i].sql, false);
  if (error) {
    schema_.reset();  // the implicit transaction of the group rolled back any switch
    throw_server_error(std::move(*error));
  }
  if (switching) schema_ = prelude.schema->str();
  co_return results;
}

Task<Result> Connection::run_script(std::string_view sql, const Prelude& prelude) {
  if (rollback_pending_ || prelude.begin || (prelude.schema && schema_ != prelude.schema->str())) {
    const std::span<const BatchStatement> none;
    co_await run_once(none, prelude);
  }
  if (PQexitPipelineMode(conn_) != 1) fail("cannot leave pipeline mode");
  std::string text(sql);
  if (!PQsendQuery(conn_, text.c_str())) fail("sending");
  const auto sent = std::chrono::steady_clock::now();
  co_await flush();
  ++counters_.round_trips;
  std::optional<ServerError::Fields> error;
  Result last;
  while (PGresult* r = co_await next_result()) {
    if (PQresultStatus(r) == PGRES_FATAL_ERROR && !error) error = error_fields(r, conn_);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) counters_.rows += static_cast<std::uint64_t>(PQntuples(r));
    if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
      last = Result(r);
    else
      PQclear(r);
  }
  counters_.busy_nanoseconds += elapsed_nanoseconds(sent);
  if (PQstatus(conn_) != CONNECTION_OK) fail("connection lost");
  if (PQenterPipelineMode(conn_) != 1) fail("cannot re-enter pipeline mode");
  if (error) {
    schema_.reset();
    throw_server_error(std::move(*error));
  }
  co_return last;
}

Task<std::pair<std::string, std::string>> Connection::next_notification() {
  for (;;) {
    if (!PQconsumeInput(conn_)) fail("reading notifications");
    if (PGnotify* n = PQnotifies(conn_)) {
      std::pair<std::string, std::string> out{n->relname, n->extra ? n->extra : ""};
      PQfreemem(n);
      co_return out;
    }
    co_await wait_readable();
  }
}

Task<void> Connection::flush() {
  for (;;) {
    int r = PQflush(conn_);
    if (r == 0) co_return;
    if (r < 0) fail("sending");
    boost::system::error_code ec;
    co_await socket_.async_wait(descriptor_base::wait_write, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) fail("waiting to send: " + ec.message());
  }
}

Task<void> Connection::wait_readable() {
  boost::system::error_code ec;
  co_await socket_.async_wait(descriptor_base::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) fail("waiting for the server: " + ec.message());
}

Task<PGresult*> Connection::next_result() {
  while (PQisBusy(conn_)) {
    co_await wait_readable();
    if (!PQconsumeInput(conn_)) fail("reading");
  }
  co_return PQgetResult(conn_);
}

}  // namespace tenantry::db::detail

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/params.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/db/query_cost.hpp"
#include "tenantry/db/result.hpp"
#include "tenantry/db/schema_name.hpp"
#include "tenantry/db/transaction.hpp"

namespace tenantry::db {

/// A statement with its parameters, for Session::execute_batch.
struct Statement {
  std::string sql;
  ParamList params;
};

/// Runs statements in one schema's scope on a Pool: `co_await session.query("SELECT ... $1", id)`.
/// The search_path is `"<schema>", public` (or `public` alone for public); the switch, when the
/// connection is on another schema, is pipelined with the statement: never a separate round trip.
/// Cheap to copy. With a `cost`, every statement of
/// the session, its copies and its transactions is added to it, so it must outlive their use.
class Session {
 public:
  explicit Session(Pool& pool, SchemaName schema = SchemaName::public_schema(), QueryCost* cost = nullptr)
      : pool_(&pool), schema_(std::move(schema)), cost_(cost) {}

  template <typename... Args>
  Task<Result> query(std::string_view sql, const Args&... args) const {
    return execute(sql, ParamList(args...));
  }
  Task<Result> execute(std::string_view sql, ParamList params) const;
  /// Sends the statements together, after the schema switch, in one flush: one round trip for all of them
  /// (e.g. a page and its total count). Results come back in order. Not a transaction: each statement sees
  /// the data as of its own start, like separate queries.
  Task<std::vector<Result>> execute_batch(std::vector<Statement> statements) const;
  Task<Result> execute_script(std::string_view sql) const;
  Task<Transaction> begin(IsolationLevel level = IsolationLevel::kReadCommitted) const;

  const SchemaName& schema() const noexcept { return schema_; }
  Pool& pool() const noexcept { return *pool_; }

 private:
  Pool* pool_;
  SchemaName schema_;
  QueryCost* cost_;
};

}  // namespace tenantry::db

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tenantry/core/task.hpp"
#include "tenantry/db/params.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/db/query_cost.hpp"
#include "tenantry/db/result.hpp"
#include "tenantry/db/schema_name.hpp"

namespace tenantry::db {

enum class IsolationLevel { kReadCommitted, kRepeatableRead, kSerializable };

/// A transaction holding one connection exclusively. Move-only; rolled back when destroyed without
/// commit(). BEGIN and the schema switch travel in the same flush as the first statement.
class Transaction {
 public:
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  template <typename... Args>
  Task<Result> query(std::string_view sql, const Args&... args) {
    return execute(sql, ParamList(args...));
  }
  Task<Result> execute(std::string_view sql, ParamList params);
  /// Runs a script of several `;`-separated statements (simple protocol), such as a migration.
  Task<Result> execute_script(std::string_view sql);
  Task<void> commit();
  Task<void> rollback();
  const SchemaName& schema() const noexcept { return schema_; }
  /// Quotes an identifier with libpq's escaping (PQescapeIdentifier) on this transaction's connection.
  std::string quote_identifier(std::string_view name) const;
  /// The database the transaction's connection is on (tenant role names carry it).
  std::string_view database() const;

 private:
  friend class Session;
  Transaction(Lease lease, SchemaName schema, IsolationLevel level, QueryCost* cost);

  std::optional<Lease> lease_;
  SchemaName schema_;
  const char* begin_sql_;  // not yet sent while non-null
  std::optional<std::string> schema_before_;
  bool failed_ = false;
  QueryCost* cost_;  // the Session's, or null
};

}  // namespace tenantry::db

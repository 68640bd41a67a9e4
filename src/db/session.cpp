#include "tenantry/db/session.hpp"

#include "db/detail/connection.hpp"

namespace tenantry::db {

namespace {
const char* begin_statement(IsolationLevel level) {
  switch (level) {
    case IsolationLevel::kRepeatableRead:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case IsolationLevel::kSerializable:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case IsolationLevel::kReadCommitted:
      break;
  }
  return "BEGIN";
}
}  // namespace

Task<Result> Session::execute(std::string_view sql, ParamList params) const {
  Lease lease = co_await pool_->acquire(&schema_);
  const detail::CostMeter meter(lease.connection(), cost_);
  const detail::Prelude prelude{.schema = &schema_};
  co_return co_await lease.connection().run(sql, params, prelude);
}

Task<std::vector<Result>> Session::execute_batch(std::vector<Statement> statements) const {
  std::vector<detail::BatchStatement> batch;
  batch.reserve(statements.size());
  for (const auto& s : statements) batch.push_back({s.sql, &s.params});
  Lease lease = co_await pool_->acquire(&schema_);
  const detail::CostMeter meter(lease.connection(), cost_);
  const std::span<const detail::BatchStatement> view(batch);
  const detail::Prelude prelude{.schema = &schema_};
  co_return co_await lease.connection().run_batch(view, prelude);
}

Task<Result> Session::execute_script(std::string_view sql) const {
  Lease lease = co_await pool_->acquire(&schema_);
  const detail::CostMeter meter(lease.connection(), cost_);
  const detail::Prelude prelude{.schema = &schema_};
  co_return co_await lease.connection().run_script(sql, prelude);
}

Task<Transaction> Session::begin(IsolationLevel level) const {
  Lease lease = co_await pool_->acquire(&schema_);
  co_return Transaction(std::move(lease), schema_, level, cost_);
}

Transaction::Transaction(Lease lease, SchemaName schema, IsolationLevel level, QueryCost* cost)
    : lease_(std::move(lease)),
      schema_(std::move(schema)),
      begin_sql_(begin_statement(level)),
      schema_before_(lease_->connection().schema()),
      cost_(cost) {}

Transaction::Transaction(Transaction&& other) noexcept
    : lease_(std::move(other.lease_)),
      schema_(std::move(other.schema_)),
      begin_sql_(other.begin_sql_),
      schema_before_(std::move(other.schema_before_)),
      failed_(other.failed_),
      cost_(other.cost_) {
  other.lease_.reset();
}

Transaction::~Transaction() {
  if (lease_ && begin_sql_ == nullptr) lease_->connection().abandon_transaction(schema_before_);
}

Task<Result> Transaction::execute(std::string_view sql, ParamList params) {
  if (!lease_) throw InvalidTransactionState({"25000", "the transaction is already finished"});
  detail::Prelude prelude{.schema = &schema_, .begin = begin_sql_, .in_transaction = true};
  begin_sql_ = nullptr;  // sent with this statement, whatever its outcome
  try {
    const detail::CostMeter meter(lease_->connection(), cost_);
    co_return co_await lease_->connection().run(sql, params, prelude);
  } catch (...) {
    failed_ = true;
    throw;
  }
}

Task<Result> Transaction::execute_script(std::string_view sql) {
  if (!lease_) throw InvalidTransactionState({"25000", "the transaction is already finished"});
  detail::Prelude prelude{.schema = &schema_, .begin = begin_sql_, .in_transaction = true};
  begin_sql_ = nullptr;
  try {
    const detail::CostMeter meter(lease_->connection(), cost_);
    co_return co_await lease_->connection().run_script(sql, prelude);
  } catch (...) {
    failed_ = true;
    throw;
  }
}

std::string Transaction::quote_identifier(std::string_view name) const {
  if (!lease_) throw InvalidTransactionState({"25000", "the transaction is already finished"});
  return lease_->connection().quote_identifier(name);
}

std::string_view Transaction::database() const {
  if (!lease_) throw InvalidTransactionState({"25000", "the transaction is already finished"});
  return lease_->connection().database();
}

Task<void> Transaction::commit() {
  if (!lease_) throw InvalidTransactionState({"25000", "the transaction is already finished"});
  if (failed_) {
    // PostgreSQL would answer COMMIT with a silent ROLLBACK: say so instead of pretending it committed.
    co_await rollback();
    throw InvalidTransactionState({"25P02", "cannot commit: an earlier statement of the transaction failed"});
  }
  if (begin_sql_ == nullptr) {
    try {
      // Destroyed at the end of the try block, before the handler releases the connection.
      const detail::CostMeter meter(lease_->connection(), cost_);
      const ParamList none;
      const detail::Prelude prelude{.in_transaction = true};
      co_await lease_->connection().run("COMMIT", none, prelude);
    } catch (...) {
      lease_->connection().restore_schema(std::nullopt);
      lease_.reset();
      throw;
    }
  }
  lease_.reset();
}

Task<void> Transaction::rollback() {
  if (!lease_) co_return;
  if (begin_sql_ == nullptr) {
    const ParamList none;
    const detail::Prelude prelude{.in_transaction = true};
    co_await lease_->connection().run("ROLLBACK", none, prelude);
    lease_->connection().restore_schema(schema_before_);
  }
  lease_.reset();
}

}  // namespace tenantry::db

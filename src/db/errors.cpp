#include "tenantry/db/errors.hpp"

#include "tenantry/db/params.hpp"

#include <string_view>

namespace tenantry::db {

void throw_nul_in_parameter(std::size_t index) {
  throw InvalidParameter("parameter $" + std::to_string(index) +
                         " holds a NUL character, which PostgreSQL text cannot store");
}

ServerError::ServerError(Fields fields) : Error(fields.message), fields_(std::move(fields)) {}

void throw_server_error(ServerError::Fields f) {
  const std::string_view code = f.sqlstate;
  if (code == "23505") throw UniqueViolation(std::move(f));
  if (code == "23503") throw ForeignKeyViolation(std::move(f));
  if (code == "23502") throw NotNullViolation(std::move(f));
  if (code == "23514") throw CheckViolation(std::move(f));
  if (code == "23P01") throw ExclusionViolation(std::move(f));
  if (code == "40001") throw SerializationFailure(std::move(f));
  if (code == "40P01") throw DeadlockDetected(std::move(f));
  if (code == "42601") throw SyntaxError(std::move(f));
  if (code == "42501") throw InsufficientPrivilege(std::move(f));
  if (code == "42703") throw UndefinedColumn(std::move(f));
  if (code == "42P01") throw UndefinedTable(std::move(f));
  if (code == "42883") throw UndefinedFunction(std::move(f));
  if (code == "42710") throw DuplicateObject(std::move(f));
  if (code == "42P06") throw DuplicateSchema(std::move(f));
  if (code == "42P07") throw DuplicateTable(std::move(f));
  if (code == "3F000") throw InvalidSchemaName(std::move(f));
  if (code == "55P03") throw LockNotAvailable(std::move(f));
  if (code == "57014") throw QueryCanceled(std::move(f));
  if (code == "57P01") throw AdminShutdown(std::move(f));
  if (code == "57P02") throw CrashShutdown(std::move(f));
  if (code == "57P03") throw CannotConnectNow(std::move(f));
  if (code == "53300") throw TooManyConnections(std::move(f));
  if (code == "P0001") throw RaisedException(std::move(f));
  const std::string_view cls = code.substr(0, 2);
  if (cls == "08") throw ConnectionException(std::move(f));
  if (cls == "0A") throw FeatureNotSupported(std::move(f));
  if (cls == "22") throw DataException(std::move(f));
  if (cls == "23") throw IntegrityConstraintViolation(std::move(f));
  if (cls == "25") throw InvalidTransactionState(std::move(f));
  if (cls == "40") throw TransactionRollback(std::move(f));
  if (cls == "42") throw SyntaxErrorOrAccessRuleViolation(std::move(f));
  if (cls == "53") throw InsufficientResources(std::move(f));
  if (cls == "55") throw ObjectNotInPrerequisiteState(std::move(f));
  if (cls == "57") throw OperatorIntervention(std::move(f));
  throw ServerError(std::move(f));
}

bool is_database_unavailable(const Error& error) noexcept {
  if (dynamic_cast<const ConnectionError*>(&error)) return true;
  const auto* server = dynamic_cast<const ServerError*>(&error);
  if (server == nullptr) return false;
  const std::string& code = server->sqlstate();
  return code.starts_with("08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300";
}

}  // namespace tenantry::db

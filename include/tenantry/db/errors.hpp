#pragma once

#include <stdexcept>
#include <string>

namespace tenantry::db {

/// Base of every database error raised by the client.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The connection could not be made or was lost; the statement's outcome is unknown. Like the server errors
/// of is_database_unavailable(), it means the database is out of reach (down, restarting, at its connection
/// limit), not that the request was wrong.
class ConnectionError : public Error {
 public:
  using Error::Error;
};

/// No connection became free within the pool's acquire timeout.
class PoolTimeout : public Error {
 public:
  using Error::Error;
};

/// A parameter that cannot be sent as it is (a text holding NUL); nothing was sent.
class InvalidParameter : public Error {
 public:
  using Error::Error;
};

/// A value read from a result could not be converted to the requested C++ type.
class DecodeError : public Error {
 public:
  using Error::Error;
};

/// An error reported by the PostgreSQL server, with its SQLSTATE and diagnostic fields.
class ServerError : public Error {
 public:
  struct Fields {
    std::string sqlstate, message, detail, hint, schema, table, column, constraint;
  };
  explicit ServerError(Fields fields);
  const Fields& fields() const noexcept { return fields_; }
  const std::string& sqlstate() const noexcept { return fields_.sqlstate; }
  const std::string& detail() const noexcept { return fields_.detail; }
  const std::string& hint() const noexcept { return fields_.hint; }
  const std::string& table() const noexcept { return fields_.table; }
  const std::string& column() const noexcept { return fields_.column; }
  const std::string& constraint() const noexcept { return fields_.constraint; }

 private:
  Fields fields_;
};

// SQLSTATE classes and the codes application code commonly handles. See appendix A of the PostgreSQL manual.
#define TENANTRY_DB_ERROR(Name, Base) \
  class Name : public Base {          \
   public:                            \
    using Base::Base;                 \
  };
TENANTRY_DB_ERROR(ConnectionException, ServerError)           // 08
TENANTRY_DB_ERROR(FeatureNotSupported, ServerError)           // 0A
TENANTRY_DB_ERROR(DataException, ServerError)                 // 22
TENANTRY_DB_ERROR(IntegrityConstraintViolation, ServerError)  // 23
TENANTRY_DB_ERROR(NotNullViolation, IntegrityConstraintViolation)
TENANTRY_DB_ERROR(ForeignKeyViolation, IntegrityConstraintViolation)
TENANTRY_DB_ERROR(UniqueViolation, IntegrityConstraintViolation)
TENANTRY_DB_ERROR(CheckViolation, IntegrityConstraintViolation)
TENANTRY_DB_ERROR(ExclusionViolation, IntegrityConstraintViolation)
TENANTRY_DB_ERROR(InvalidTransactionState, ServerError)  // 25
TENANTRY_DB_ERROR(TransactionRollback, ServerError)      // 40
TENANTRY_DB_ERROR(SerializationFailure, TransactionRollback)
TENANTRY_DB_ERROR(DeadlockDetected, TransactionRollback)
TENANTRY_DB_ERROR(SyntaxErrorOrAccessRuleViolation, ServerError)  // 42
TENANTRY_DB_ERROR(SyntaxError, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(InsufficientPrivilege, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(UndefinedColumn, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(UndefinedTable, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(UndefinedFunction, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(DuplicateObject, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(DuplicateSchema, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(DuplicateTable, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(InvalidSchemaName, SyntaxErrorOrAccessRuleViolation)
TENANTRY_DB_ERROR(ObjectNotInPrerequisiteState, ServerError)       // 55
TENANTRY_DB_ERROR(LockNotAvailable, ObjectNotInPrerequisiteState)  // 55P03, e.g. lock_timeout
TENANTRY_DB_ERROR(InsufficientResources, ServerError)              // 53
TENANTRY_DB_ERROR(TooManyConnections, InsufficientResources)       // 53300
TENANTRY_DB_ERROR(OperatorIntervention, ServerError)               // 57
TENANTRY_DB_ERROR(QueryCanceled, OperatorIntervention)             // 57014, e.g. statement_timeout
TENANTRY_DB_ERROR(AdminShutdown, OperatorIntervention)             // 57P01, the server is stopping
TENANTRY_DB_ERROR(CrashShutdown, OperatorIntervention)             // 57P02, another backend crashed
TENANTRY_DB_ERROR(CannotConnectNow, OperatorIntervention)          // 57P03, starting up or shutting down
TENANTRY_DB_ERROR(RaisedException, ServerError)                    // P0001, RAISE EXCEPTION in PL/pgSQL
#undef TENANTRY_DB_ERROR

/// Throws the most specific ServerError subclass for `fields.sqlstate`.
[[noreturn]] void throw_server_error(ServerError::Fields fields);

/// Whether `error` says the database is out of reach rather than that the statement failed: a lost or
/// refused connection (ConnectionError), a connection exception (08), the server shutting down, crashed or
/// not accepting connections yet (57P01, 57P02, 57P03), or at its connection limit (53300). A request that
/// meets one may succeed once the database is back.
bool is_database_unavailable(const Error& error) noexcept;

}  // namespace tenantry::db

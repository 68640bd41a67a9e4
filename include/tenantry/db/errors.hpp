#pragma once

#include <stdexcept>
#include <string>

namespace tenantry::db {

/// Base of every database error raised by the client.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The connection could not be made or was lost; the statement's outcome is unknown.
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
TENANTRY_DB_ERROR(OperatorIntervention, ServerError)               // 57
TENANTRY_DB_ERROR(QueryCanceled, OperatorIntervention)             // 57014, e.g. statement_timeout
TENANTRY_DB_ERROR(RaisedException, ServerError)                    // P0001, RAISE EXCEPTION in PL/pgSQL
#undef TENANTRY_DB_ERROR

/// Throws the most specific ServerError subclass for `fields.sqlstate`.
[[noreturn]] void throw_server_error(ServerError::Fields fields);

}  // namespace tenantry::db

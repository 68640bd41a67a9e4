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

// SQLSTATE classes and the codes application code commonly handles, declared from the one table that also
// maps codes to them (detail/sqlstates.def), so that a class cannot be filed under the wrong parent.
#define TENANTRY_SQLSTATE(Name, Base, Code) \
  class Name : public Base {                \
   public:                                  \
    using Base::Base;                       \
  };
#include "tenantry/db/detail/sqlstates.def"
#undef TENANTRY_SQLSTATE

/// Throws the most specific ServerError subclass for `fields.sqlstate`: the class of the code itself, else
/// the class of its SQLSTATE class (its first two characters), else ServerError.
[[noreturn]] void throw_server_error(ServerError::Fields fields);

/// Whether `error` says the database is out of reach rather than that the statement failed: a lost or
/// refused connection (ConnectionError), a connection exception (08), the server shutting down, crashed or
/// not accepting connections yet (57P01, 57P02, 57P03), or at its connection limit (53300). A request that
/// meets one may succeed once the database is back.
bool is_database_unavailable(const Error& error) noexcept;

}  // namespace tenantry::db

#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tenantry::db {

/// How to reach a PostgreSQL database.
struct ConnectOptions {
  /// A libpq connection string or URL (`postgresql:///tenantry?host=/path/to/socket`).
  std::string conninfo;
  /// When set, overrides the database named in `conninfo`.
  std::string dbname;
  std::string application_name = "tenantry";
  std::chrono::milliseconds connect_timeout{5000};
  /// PostgreSQL's statement_timeout and lock_timeout for the session (0 = off), sent as startup parameters
  /// (libpq `options`): no round trip. Unset: the server's defaults.
  std::optional<std::chrono::milliseconds> statement_timeout, lock_timeout;
};

}  // namespace tenantry::db

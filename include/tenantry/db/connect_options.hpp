#pragma once

#include <chrono>
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
};

}  // namespace tenantry::db

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
  /// The request pools' connections: every search_path switch also switches the role, in the same
  /// statement, to the tenant's role (tenantry/db/tenant_roles.hpp), and back to the login role for public,
  /// so that PostgreSQL itself refuses a statement that reaches into another tenant's schema. Off for the
  /// owner's connections (migrations, provisioning), which must stay the owner.
  bool tenant_roles = false;
};

}  // namespace tenantry::db

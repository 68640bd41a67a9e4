#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tenantry::db {

/// Where and how to run a private PostgreSQL cluster.
struct EmbeddedClusterOptions {
  /// Holds `postgres/` (data), `run/` (the Unix socket) and `postgres.log`.
  std::filesystem::path dir = "var";
  /// Throwaway clusters for tests: no fsync, no full-page writes.
  bool ephemeral = false;
  std::string database = "tenantry";
};

/// A private PostgreSQL cluster listening only on a Unix socket: initialised on first use, started when not
/// already running (then reused), stopped by stop() when this process started it. When running as root the
/// server runs as the unprivileged `postgres` system user, since PostgreSQL refuses to run as root.
///
/// Three login roles, each with a generated password (scram-sha-256 on the socket and on TCP; the passwords
/// sit in `<dir>/pgpass`, mode 0600, which the connection strings name as libpq's passfile):
///   - `tenantry`, the bootstrap superuser: creates the database and the other roles, nothing else;
///   - `tenantry_owner` (CREATEROLE, not superuser): owns the database, so public and every tenant schema,
///     and runs migrations and provisioning;
///   - `tenantry_app`: the server's request pools; no attributes, no DDL rights.
class EmbeddedCluster {
 public:
  static constexpr std::string_view kSuperuser = "tenantry";
  static constexpr std::string_view kOwnerRole = "tenantry_owner";
  static constexpr std::string_view kRuntimeRole = "tenantry_app";

  explicit EmbeddedCluster(EmbeddedClusterOptions options);
  /// Initialises and starts the cluster as needed; returns once it accepts connections.
  void start();
  /// Stops the cluster if this object started it and no other client is connected.
  void stop();
  /// Stops the cluster whoever started it.
  void stop_unconditionally();
  bool running() const;
  bool started_here() const noexcept { return started_here_; }
  /// A libpq connection string for the cluster's main database as the bootstrap superuser.
  std::string conninfo() const;
  /// As `role` (one of the three), in key=value form.
  std::string conninfo_as(std::string_view role) const;
  /// A postgresql:// URL for the main database as its owner: tenantry_owner, or the superuser for a database
  /// made before the roles were split (its objects are the superuser's). Known once start() ran.
  std::string owner_url() const;
  /// The same as the request pools' role, tenantry_app.
  std::string runtime_url() const;
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }
  const std::filesystem::path& socket_dir() const noexcept { return socket_dir_; }

 private:
  int pg_ctl(const std::vector<std::string>& args, bool quiet = true) const;
  void initialise();
  /// On the running server: the log settings that keep secrets out of its log, and the main database.
  void configure_server();
  /// The passwords of the three roles, made on first use (`<dir>/pgpass`).
  void ensure_passwords();
  std::string url_as(std::string_view role) const;
  int other_clients() const;

  EmbeddedClusterOptions options_;
  std::filesystem::path bin_dir_, base_dir_, data_dir_, socket_dir_, log_file_, passfile_;
  std::string owner_role_{kOwnerRole};
  bool as_postgres_user_ = false;
  bool started_here_ = false;
};

/// Quotes a value for a libpq key=value connection string.
std::string conninfo_value(std::string_view value);

}  // namespace tenantry::db

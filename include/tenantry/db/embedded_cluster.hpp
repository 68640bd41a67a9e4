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
class EmbeddedCluster {
 public:
  explicit EmbeddedCluster(EmbeddedClusterOptions options);
  /// Initialises and starts the cluster as needed; returns once it accepts connections.
  void start();
  /// Stops the cluster if this object started it and no other client is connected.
  void stop();
  /// Stops the cluster whoever started it.
  void stop_unconditionally();
  bool running() const;
  bool started_here() const noexcept { return started_here_; }
  /// A libpq connection string for the cluster's main database.
  std::string conninfo() const;
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }
  const std::filesystem::path& socket_dir() const noexcept { return socket_dir_; }

 private:
  int pg_ctl(const std::vector<std::string>& args, bool quiet = true) const;
  void initialise();
  /// On the running server: the log settings that keep secrets out of its log, and the main database.
  void configure_server();
  int other_clients() const;

  EmbeddedClusterOptions options_;
  std::filesystem::path bin_dir_, base_dir_, data_dir_, socket_dir_, log_file_;
  bool as_postgres_user_ = false;
  bool started_here_ = false;
};

/// Quotes a value for a libpq key=value connection string.
std::string conninfo_value(std::string_view value);

}  // namespace tenantry::db

#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tenantry/core/config.hpp"
#include "tenantry/core/run_blocking.hpp"
#include "tenantry/db/embedded_cluster.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/migrations/migration_runner.hpp"

namespace CLI {
class App;
}

namespace tenantry::cli {

/// A failure to report to the user with exit code 1 (no stack of exceptions, just the message).
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What every command shares: configuration, the database (embedded cluster started on first use, and
/// stopped at exit when this process started it), one io_context and a pool on it.
class CliContext {
 public:
  CliContext() = default;
  ~CliContext();

  /// Loads the configuration once; `--config` has been parsed by then.
  Config& config();
  /// The pool, as the owner role (commands migrate, provision and change tenants), connecting (and starting
  /// the embedded cluster) on first use.
  db::Pool& pool(std::size_t min_size = 4);
  migrations::MigrationRunner& migrations();
  boost::asio::io_context& io() { return io_; }
  /// Runs a task to completion on the io_context.
  template <typename T>
  T run(Task<T> task) {
    return run_blocking(io_, std::move(task));
  }
  void run(Task<void> task) { run_blocking(io_, std::move(task)); }
  /// Connection strings of the request pools' role and of the owner (database.url and database.owner_url,
  /// else the embedded cluster's roles, starting it if needed).
  std::string runtime_conninfo();
  std::string owner_conninfo();
  /// The login role of runtime_conninfo(), as the database says.
  std::string runtime_role();
  /// Sets up the tenant roles and grants (tenancy::DatabaseGrants) as the owner; returns what it changed.
  std::vector<std::string> apply_grants();
  /// Throws CommandError when the server's requests would fail on roles or grants; logs the weaknesses.
  void check_grants_before_serving();
  /// The embedded cluster object, for `tenantry db` commands.
  db::EmbeddedCluster& cluster();
  /// Keep the embedded cluster running after this process exits (the `db start` command).
  void keep_cluster_running() { keep_cluster_ = true; }

  std::optional<std::string> config_file;
  /// The command chosen on the command line; run after parsing.
  std::function<int()> action;
  /// `--json` of the command chosen: one JSON document on stdout instead of text (errors stay on stderr).
  bool json = false;

 private:
  boost::asio::io_context io_;
  std::optional<Config> config_;
  std::unique_ptr<db::EmbeddedCluster> cluster_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<migrations::MigrationRunner> migrations_;
  std::optional<std::string> runtime_role_;
  bool keep_cluster_ = false;
};

void add_db_commands(CLI::App& app, CliContext& ctx);
void add_migrate_command(CLI::App& app, CliContext& ctx);
void add_tenant_commands(CLI::App& app, CliContext& ctx);
void add_domain_commands(CLI::App& app, CliContext& ctx);
void add_exec_command(CLI::App& app, CliContext& ctx);
void add_config_command(CLI::App& app, CliContext& ctx);
void add_demo_command(CLI::App& app, CliContext& ctx);
void add_serve_command(CLI::App& app, CliContext& ctx);
void add_admin_command(CLI::App& app, CliContext& ctx);
void add_top_command(CLI::App& app, CliContext& ctx);
void add_plans_command(CLI::App& app, CliContext& ctx);
void add_doctor_command(CLI::App& app, CliContext& ctx);
/// `completion bash|zsh`, generated from `root`'s command tree when it runs (so it cannot drift).
void add_completion_command(CLI::App& root, CliContext& ctx);

/// Adds `--json` to a command that prints data; it sets CliContext::json.
void add_json_flag(CLI::App* command, CliContext& ctx);
/// Prints one JSON document (and a newline) on stdout.
void print_json(const boost::json::value& document);

/// Prints rows as an aligned text table.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace tenantry::cli

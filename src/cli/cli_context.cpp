#include "cli/cli_context.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "apps/registry.hpp"
#include "tenantry/core/logging.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/tenancy/database_grants.hpp"

namespace tenantry::cli {

CliContext::~CliContext() {
  migrations_.reset();
  if (pool_) pool_->close();
  pool_.reset();
  if (cluster_ && !keep_cluster_) {
    try {
      cluster_->stop();
    } catch (const std::exception& e) {
      spdlog::warn("stopping the embedded PostgreSQL: {}", e.what());
    }
  }
}

Config& CliContext::config() {
  if (!config_) {
    config_ = load_config(config_file);
    spdlog::set_level(spdlog::level::from_str(config_->log.level));
    set_log_format(config_->log.format);
  }
  return *config_;
}

db::EmbeddedCluster& CliContext::cluster() {
  if (!cluster_)
    cluster_ =
        std::make_unique<db::EmbeddedCluster>(db::EmbeddedClusterOptions{.dir = config().database.var_dir});
  return *cluster_;
}

std::string CliContext::runtime_conninfo() {
  if (!config().database.url.empty()) return config().database.url;
  db::EmbeddedCluster& c = cluster();
  c.start();
  return c.runtime_url();
}

std::string CliContext::owner_conninfo() {
  const auto& database = config().database;
  if (!database.owner_url.empty()) return database.owner_url;
  if (!database.url.empty()) return database.url;
  db::EmbeddedCluster& c = cluster();
  c.start();
  return c.owner_url();
}

std::string CliContext::runtime_role() {
  if (!runtime_role_) {
    // Asked of the database: a URL may leave the user out (libpq's default) or map it (a pooler).
    db::Pool runtime(
        io_, db::PoolConfig{.connect = {.conninfo = runtime_conninfo(), .application_name = "tenantry-cli"},
                            .max_size = 1});
    runtime_role_ = run(runtime.session().query("SELECT session_user::text")).one().get<std::string>(0);
    runtime.close();
  }
  return *runtime_role_;
}

db::Pool& CliContext::pool(std::size_t min_size) {
  if (!pool_) {
    db::PoolConfig pc;
    pc.connect.conninfo = owner_conninfo();
    pc.connect.application_name = "tenantry-cli";
    pc.max_size = std::max<std::size_t>(min_size, config().database.pool_size);
    pc.acquire_timeout = std::chrono::milliseconds(config().database.acquire_timeout_ms);
    pool_ = std::make_unique<db::Pool>(io_, pc);
  }
  return *pool_;
}

std::vector<std::string> CliContext::apply_grants() {
  tenancy::DatabaseGrants grants(pool(), runtime_role());
  return run(grants.apply());
}

void CliContext::check_grants_before_serving() {
  tenancy::DatabaseGrants grants(pool(), runtime_role());
  std::vector<tenancy::GrantFinding> findings;
  try {
    findings = run(grants.check(tenancy::DatabaseGrants::Depth::kBlocking));
  } catch (const db::UndefinedTable&) {
    return;  // not migrated: loading the catalog says so
  }
  std::string blocking;
  for (const auto& f : findings) {
    if (f.severity == tenancy::GrantFinding::Severity::kBlocking) {
      if (blocking.size() < 400) blocking += "\n  " + f.subject + " " + f.problem;
      continue;
    }
    spdlog::warn("database grants: {} {}", f.subject, f.problem);
  }
  if (!blocking.empty())
    throw CommandError("the database's roles and grants are not ready for this server:" + blocking +
                       "\nrun `tenantry db grants --apply` as the owner (or `tenantry serve --migrate`)");
}

migrations::MigrationRunner& CliContext::migrations() {
  if (!migrations_) migrations_ = std::make_unique<migrations::MigrationRunner>(pool(), apps::installed());
  return *migrations_;
}

void add_json_flag(CLI::App* command, CliContext& ctx) {
  command->add_flag("--json", ctx.json, "Print one JSON document on stdout instead of text");
}

void print_json(const boost::json::value& document) {
  std::cout << boost::json::serialize(document) << "\n";
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
}

}  // namespace tenantry::cli

#include "cli/cli_context.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "apps/registry.hpp"
#include "tenantry/core/logging.hpp"

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

std::string CliContext::conninfo() {
  if (!config().database.url.empty()) return config().database.url;
  db::EmbeddedCluster& c = cluster();
  c.start();
  return c.conninfo();
}

db::Pool& CliContext::pool(std::size_t min_size) {
  if (!pool_) {
    db::PoolConfig pc;
    pc.connect.conninfo = conninfo();
    pc.connect.application_name = "tenantry-cli";
    pc.max_size = std::max<std::size_t>(min_size, config().database.pool_size);
    pc.acquire_timeout = std::chrono::milliseconds(config().database.acquire_timeout_ms);
    pool_ = std::make_unique<db::Pool>(io_, pc);
  }
  return *pool_;
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

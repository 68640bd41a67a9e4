#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "core/detail/config_settings.hpp"
#include "tenantry/core/ip_network.hpp"

namespace tenantry::detail {

namespace {

std::string env_name(const std::string& key) {
  std::string out = "TENANTRY_";
  for (char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// What is wrong with a HOST:PORT value, or empty.
std::string listen_problem(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return "must look like HOST:PORT";
  const std::string port = listen.substr(colon + 1);
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  return (port.empty() || *end || p < 0 || p > 65535) ? "port must be 0 to 65535" : "";
}

}  // namespace

std::vector<Setting> settings(Config& c) {
  auto not_negative = [](const std::int64_t& v) {
    return [&v](const Config&) { return std::string(v >= 0 ? "" : "must not be negative"); };
  };
  // A PostgreSQL timeout setting: milliseconds as an int, 0 = off.
  auto timeout_ms = [](const std::int64_t& v) {
    return [&v](const Config&) {
      return std::string(v < 0                                          ? "must not be negative"
                         : v > std::numeric_limits<std::int32_t>::max() ? "must be at most 2147483647"
                                                                        : "");
    };
  };
  auto positive = [](const std::int64_t& v) {
    return [&v](const Config&) { return v > 0 ? std::string() : "must be greater than 0"; };
  };
  auto one_of = [](const std::string& v, std::vector<std::string> allowed) {
    return [&v, allowed](const Config&) {
      for (const auto& a : allowed)
        if (v == a) return std::string();
      return fmt::format("must be one of: {}", fmt::join(allowed, ", "));
    };
  };
  // A count or duration that must be above zero.
  auto counter = [&](const char* key, std::int64_t& v) { return Setting{key, &v, {}, positive(v)}; };
  std::vector<Setting> s{
      {"database.url", &c.database.url, {}, {}, Shown::kConninfo},
      {"database.owner_url",
       &c.database.owner_url,
       {},
       [&](const Config&) {
         return std::string(c.database.owner_url.empty() || !c.database.url.empty()
                                ? ""
                                : "needs database.url too (the embedded cluster has its own owner)");
       },
       Shown::kConninfo},
      {"database.var_dir", &c.database.var_dir, {"TENANTRY_VAR_DIR"}},
      {"database.pool_size",
       &c.database.pool_size,
       {},
       [&](const Config&) { return std::string(c.database.pool_size > 0 ? "" : "must be greater than 0"); }},
      {"database.acquire_timeout_ms",
       &c.database.acquire_timeout_ms,
       {},
       positive(c.database.acquire_timeout_ms)},
      {"database.max_connection_uses",
       &c.database.max_connection_uses,
       {},
       not_negative(c.database.max_connection_uses)},
      {"database.connections_per_tenant", &c.database.connections_per_tenant},
      {"database.max_connections_per_tenant",
       &c.database.max_connections_per_tenant,
       {},
       [&](const Config&) {
         return std::string(c.database.max_connections_per_tenant <= c.database.pool_size
                                ? ""
                                : "must be at most database.pool_size (" +
                                      std::to_string(c.database.pool_size) + "), or 0 for half of it");
       }},
      {"database.prepared_statements",
       &c.database.prepared_statements,
       {},
       [&](const Config&) {
         return std::string(c.database.prepared_statements > 0 ? "" : "must be greater than 0");
       }},
      {"database.affinity_wait_ms",
       &c.database.affinity_wait_ms,
       {},
       not_negative(c.database.affinity_wait_ms)},
      {"database.statement_timeout_ms",
       &c.database.statement_timeout_ms,
       {},
       timeout_ms(c.database.statement_timeout_ms)},
      {"database.lock_timeout_ms", &c.database.lock_timeout_ms, {}, timeout_ms(c.database.lock_timeout_ms)},
      {"server.listen",
       &c.server.listen,
       {"TENANTRY_LISTEN"},
       [&](const Config&) { return listen_problem(c.server.listen); }},
      {"server.threads", &c.server.threads, {}, not_negative(c.server.threads)},
      {"server.max_header_bytes", &c.server.max_header_bytes, {}, positive(c.server.max_header_bytes)},
      {"server.max_body_bytes", &c.server.max_body_bytes, {}, positive(c.server.max_body_bytes)},
      {"server.header_timeout_ms", &c.server.header_timeout_ms, {}, positive(c.server.header_timeout_ms)},
      {"server.idle_timeout_ms", &c.server.idle_timeout_ms, {}, positive(c.server.idle_timeout_ms)},
      {"server.max_connections", &c.server.max_connections, {}, positive(c.server.max_connections)},
      {"server.drain_timeout_ms", &c.server.drain_timeout_ms, {}, positive(c.server.drain_timeout_ms)},
      {"server.access_log", &c.server.access_log},
      {"server.trusted_proxies",
       &c.server.trusted_proxies,
       {},
       [&](const Config&) { return why_invalid_networks(c.server.trusted_proxies); }},
      {"server.cors_origins",
       &c.server.cors_origins,
       {},
       [&](const Config&) { return why_invalid_cors_origins(c.server.cors_origins); }},
      {"server.cors_allow_credentials", &c.server.cors_allow_credentials},
      {"server.tenant_affinity", &c.server.tenant_affinity},
      {"server.metrics_tenant_labels",
       &c.server.metrics_tenant_labels,
       {},
       [&v = c.server.metrics_tenant_labels](const Config&) {
         // Each label has a latency histogram and cost counters per I/O thread, from the start, and its
         // series in every scrape.
         return std::string(v < 1 ? "must be greater than 0" : v > 1000 ? "must be at most 1000" : "");
       }},
      {"server.metrics_listen",
       &c.server.metrics_listen,
       {},
       [&](const Config&) {
         return c.server.metrics_listen.empty() ? std::string() : listen_problem(c.server.metrics_listen);
       }},
      {"server.metrics_token",
       &c.server.metrics_token,
       {},
       [&](const Config&) {
         const auto n = c.server.metrics_token.size();
         return std::string(n == 0 || n >= 16 ? "" : "must be empty or at least 16 characters");
       },
       Shown::kSecret},
      {"tenancy.resolvers",
       &c.tenancy.resolvers,
       {},
       [&](const Config&) {
         for (const auto& r : c.tenancy.resolvers)
           if (r != "header" && r != "path" && r != "host" && r != "subdomain")
             return "has '" + r + "'; allowed: header, path, host, subdomain";
         return std::string();
       }},
      {"tenancy.public_hosts", &c.tenancy.public_hosts},
      {"tenancy.base_domain", &c.tenancy.base_domain},
      {"tenancy.strip_www", &c.tenancy.strip_www},
      {"tenancy.header_resolver", &c.tenancy.header_resolver},
      {"tenancy.header_trusted_networks",
       &c.tenancy.header_trusted_networks,
       {},
       [&](const Config&) { return why_invalid_trusted_networks(c.tenancy); }},
      {"tenancy.path_resolver", &c.tenancy.path_resolver},
      {"tenancy.unknown_host",
       &c.tenancy.unknown_host,
       {},
       one_of(c.tenancy.unknown_host, {"404", "public"})},
      {"tenancy.spare_schemas", &c.tenancy.spare_schemas, {}, not_negative(c.tenancy.spare_schemas)},
      {"migrations.jobs", &c.migrations.jobs, {}, positive(c.migrations.jobs)},
      {"auth.secret", &c.auth.secret, {}, {}, Shown::kSecret},
      {"auth.token_ttl_minutes",
       &c.auth.token_ttl_minutes,
       {},
       // Revocations are kept 31 days: a token must not outlive its revocation.
       [&](const Config&) {
         return std::string(c.auth.token_ttl_minutes > 0 && c.auth.token_ttl_minutes <= 31 * 24 * 60
                                ? ""
                                : "must be 1 to 44640 (31 days)");
       }},
      {"auth.admin_token_ttl_minutes",
       &c.auth.admin_token_ttl_minutes,
       {},
       [&](const Config&) {
         return std::string(c.auth.admin_token_ttl_minutes > 0 && c.auth.admin_token_ttl_minutes <= 24 * 60
                                ? ""
                                : "must be 1 to 1440 (one day)");
       }},
      counter("auth.hash_threads", c.auth.hash_threads),
      counter("auth.login_per_account_per_minute", c.auth.login_per_account_per_minute),
      counter("auth.login_per_address_per_minute", c.auth.login_per_address_per_minute),
      counter("auth.signup_per_address_per_minute", c.auth.signup_per_address_per_minute),
      counter("auth.signup_per_minute", c.auth.signup_per_minute),
      counter("auth.admin_tenant_creations_per_minute", c.auth.admin_tenant_creations_per_minute),
      counter("auth.mail_per_address_per_minute", c.auth.mail_per_address_per_minute),
      counter("auth.mail_per_recipient_per_minute", c.auth.mail_per_recipient_per_minute),
      counter("auth.verification_ttl_hours", c.auth.verification_ttl_hours),
      counter("auth.invitation_ttl_hours", c.auth.invitation_ttl_hours),
      counter("auth.password_reset_ttl_minutes", c.auth.password_reset_ttl_minutes),
      counter("auth.unverified_account_hours", c.auth.unverified_account_hours),
      {"mail.backend", &c.mail.backend, {}, one_of(c.mail.backend, {"file", "smtp"})},
      {"mail.from", &c.mail.from},
      {"mail.file_dir", &c.mail.file_dir},
      {"mail.smtp_host", &c.mail.smtp_host},
      {"mail.smtp_port",
       &c.mail.smtp_port,
       {},
       [&](const Config&) {
         return std::string(c.mail.smtp_port > 0 && c.mail.smtp_port <= 65535 ? "" : "must be 1 to 65535");
       }},
      {"mail.smtp_starttls", &c.mail.smtp_starttls},
      {"mail.smtp_username", &c.mail.smtp_username},
      {"mail.smtp_password", &c.mail.smtp_password, {}, {}, Shown::kSecret},
      {"mail.smtp_timeout_ms", &c.mail.smtp_timeout_ms, {}, positive(c.mail.smtp_timeout_ms)},
      {"mail.link_base_url",
       &c.mail.link_base_url,
       {},
       [&](const Config&) {
         const auto& u = c.mail.link_base_url;
         return std::string(u.empty() || u.starts_with("http://") || u.starts_with("https://")
                                ? ""
                                : "must start with http:// or https://");
       }},
      {"log.level",
       &c.log.level,
       {},
       one_of(c.log.level, {"trace", "debug", "info", "warn", "error", "off"})},
      {"log.format", &c.log.format, {}, one_of(c.log.format, {"text", "json"})},
  };
  for (auto& setting : s) setting.env.insert(setting.env.begin(), env_name(setting.key));
  return s;
}

}  // namespace tenantry::detail

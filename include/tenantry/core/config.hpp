#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tenantry {

/// A setting that could not be read; the message names the key (and the file or variable).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Every setting of a Tenantry process. Defaults make a local run work with no configuration at all.
struct Config {
  struct Database {
    // The request pools' (runtime) role; empty: run the embedded cluster, which has both roles.
    std::string url;
    // The owner role: migrations, provisioning and lifecycle, on connections of their own. Empty: the role
    // of `url` does both, as before roles were split (`tenantry db grants --check` reports what that costs).
    std::string owner_url;
    std::string var_dir = "var";  // the embedded cluster's directory
    std::size_t pool_size = 16;   // connections per I/O thread
    std::int64_t acquire_timeout_ms = 5000;
    std::int64_t max_connection_uses = 0;    // 0 = never recycle
    std::size_t connections_per_tenant = 1;  // per I/O thread; 0 = any connection (no tenant affinity)
    std::int64_t affinity_wait_ms = 25;      // then a busy tenant takes any free connection
    std::size_t prepared_statements = 1024;  // per connection
    // The bulkhead: connections of one I/O thread's pool that one tenant may hold at once, so that a tenant
    // whose requests block queues behind itself. 0 = half of pool_size, at least 2 (pool_size when smaller).
    std::size_t max_connections_per_tenant = 0;
    // The server's connections (requests, catalog, spare schemas) only, as startup parameters: no round
    // trip. CLI commands (migrations, provisioning) keep the database's own, where long DDL is legitimate.
    std::int64_t statement_timeout_ms = 30'000;  // 0 = off
    std::int64_t lock_timeout_ms = 5'000;        // 0 = off
  } database;
  struct Server {
    std::string listen = "127.0.0.1:8080";
    std::int64_t threads = 0;  // 0 = one per core
    std::int64_t max_header_bytes = 16 * 1024;
    std::int64_t max_body_bytes = 1024 * 1024;
    std::int64_t header_timeout_ms = 10'000;
    std::int64_t idle_timeout_ms = 60'000;
    std::int64_t max_connections = 10'000;
    std::int64_t drain_timeout_ms = 10'000;
    bool access_log = true;
    bool tenant_affinity = true;              // each tenant's requests run on one I/O thread, with its pool
    std::int64_t metrics_tenant_labels = 20;  // first tenants seen named in /metrics (1-1000), then "_other"
    // /metrics names tenants, so it is never served on a tenant's host. Without a token, server.listen does
    // not serve it at all; with one, its public hosts do, to "Authorization: Bearer <token>" only.
    std::string metrics_listen;  // HOST:PORT of a listener for /metrics, /healthz, /readyz only; empty: none
    std::string metrics_token;   // secret; at least 16 characters
    /// Networks of the reverse proxies whose X-Forwarded-Proto / X-Forwarded-Host (or Forwarded) headers
    /// absolute links (pages' next/previous) follow; from anyone else those headers are ignored.
    std::vector<std::string> trusted_proxies;
    /// Browser origins allowed to call the API (CORS): exact origins ("https://app.example.com"), or a
    /// pattern with one "*" for the leftmost host labels ("https://*.example.com", a store's own host).
    std::vector<std::string> cors_origins;
    /// Whether those origins may send cookies or HTTP authentication (Access-Control-Allow-Credentials).
    /// Off: the API authenticates with a bearer token, which a browser app sends itself.
    bool cors_allow_credentials = false;
  } server;
  struct Tenancy {
    /// Order in which resolvers are tried: any of header, path, host, subdomain.
    std::vector<std::string> resolvers{"header", "path", "host", "subdomain"};
    std::vector<std::string> public_hosts{"localhost", "127.0.0.1"};
    std::string base_domain = "localhost";
    bool strip_www = true;
    bool header_resolver = false;
    /// Clients (the proxies) whose X-Tenant header is believed: CIDR networks or addresses. Required, not
    /// empty, when header_resolver is on: anyone else could choose the tenant a request is served as.
    std::vector<std::string> header_trusted_networks;
    /// `/t/<slug>/...` on the public hosts only: a tenant's own domain never serves another tenant.
    bool path_resolver = false;
    std::string unknown_host = "404";  // or "public"
    /// Ready-made tenant schemas the server keeps, so that creating a tenant is a rename (0 = off).
    std::int64_t spare_schemas = 2;
  } tenancy;
  struct Migrations {
    std::int64_t jobs = 4;
  } migrations;
  struct Auth {
    std::string secret;  // HMAC key for tokens; empty: a key generated once and kept in the database
    std::int64_t token_ttl_minutes = 12 * 60;   // store tokens; at most 31 days
    std::int64_t admin_token_ttl_minutes = 60;  // platform-admin tokens
    std::int64_t hash_threads = 2;              // argon2id runs on these, off the I/O threads
    // Throttles, counted in PostgreSQL so that every server process shares them (one-minute windows).
    std::int64_t login_per_account_per_minute = 10;       // across all client addresses
    std::int64_t login_per_address_per_minute = 60;       // across all accounts (password spraying)
    std::int64_t signup_per_address_per_minute = 5;       // each signup creates a schema
    std::int64_t signup_per_minute = 60;                  // all client addresses together
    std::int64_t admin_tenant_creations_per_minute = 60;  // per platform admin
    std::int64_t mail_per_address_per_minute = 10;        // requests that send mail, per client address
    std::int64_t mail_per_recipient_per_minute = 3;       // and per recipient
    // Single-use links sent by mail, and what happens to accounts that never follow theirs.
    std::int64_t verification_ttl_hours = 72;
    std::int64_t invitation_ttl_hours = 7 * 24;
    std::int64_t password_reset_ttl_minutes = 60;
    std::int64_t unverified_account_hours = 7 * 24;  // then the account is purged (its lone stores archived)
  } auth;
  /// Outgoing mail (verification, invitations, password resets), like Django's e-mail backends.
  struct Mail {
    std::string backend = "file";  // "file": one .eml file a message under file_dir; "smtp"
    std::string from = "Tenantry <no-reply@localhost>";
    std::string file_dir;  // empty: <database.var_dir>/mail
    std::string smtp_host = "localhost";
    std::int64_t smtp_port = 25;
    bool smtp_starttls = true;  // require STARTTLS before credentials or the message are sent
    std::string smtp_username;
    std::string smtp_password;
    std::int64_t smtp_timeout_ms = 10'000;
    std::string link_base_url;  // where links in mail point; empty: http://localhost:<port of server.listen>
  } mail;
  /// A plan's limits; an absent limit is unlimited.
  struct Plan {
    std::optional<std::int64_t> max_products;
    std::optional<std::int64_t> max_members;
  };
  /// Plans by name, from `[plans.<name>]` tables; these defaults apply when the file defines none.
  std::map<std::string, Plan> plans{{"free", {100, 3}}, {"pro", {10'000, 25}}, {"enterprise", {}}};
  struct Log {
    std::string level = "info";
    std::string format = "text";  // or "json"
  } log;
};

/// Reads `file` (or ./tenantry.toml when present and no file is given), then `TENANTRY_*` environment
/// variables, which win. Unknown keys and bad values throw ConfigError naming the key.
Config load_config(const std::optional<std::filesystem::path>& file);

/// Throws ConfigError naming the first setting with a bad value; load_config() has done it already, a
/// configuration built in code (tests, embedding) gets the same checks from the Application.
void validate(const Config& config);

/// Why `tenancy.header_trusted_networks` cannot be used (an entry that is no IP network, or an empty list
/// while the header resolver is on), or empty.
std::string why_invalid_trusted_networks(const Config::Tenancy& tenancy);
/// Why a list of networks cannot be used (an entry that is no IP address or CIDR network), or empty.
std::string why_invalid_networks(const std::vector<std::string>& networks);
/// Why an entry of server.cors_origins is no origin ("scheme://host[:port]", at most one "*" as the first
/// host labels, no path), or empty.
std::string why_invalid_cors_origins(const std::vector<std::string>& origins);

/// The keys of the settings whose values differ between `before` and `after`, in the order of `config show`;
/// "plans" when any plan or limit differs. What a configuration reload (SIGHUP) reports.
std::vector<std::string> changed_settings(const Config& before, const Config& after);

/// The effective configuration as TOML, with secrets masked: `auth.secret` entirely, the passwords inside
/// `database.url`.
std::string render_config(const Config& config);

/// A libpq connection string, URL (`postgresql://user:pw@host/db?password=pw`) or key=value
/// (`password='a b' host=h`), with every password value replaced by `***`, for `config show` and logs.
/// Conservative on malformed input: a word it cannot place is masked too.
std::string mask_conninfo(std::string_view conninfo);

}  // namespace tenantry

#pragma once

// The embedded cluster's credentials: generated passwords in libpq's password file, and the pg_hba.conf that
// asks every role for its password.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace tenantry::db::detail {

// Every connection proves its password, over the socket as over TCP (TCP is off unless listen_addresses is
// set in postgresql.auto.conf): a process of another local user cannot connect as the roles.
inline constexpr const char* kHbaConf =
    "# Tenantry embedded cluster: every role authenticates with its password (scram-sha-256); the\n"
    "# passwords are in ../pgpass, mode 0600.\n"
    "local   all          all                 scram-sha-256\n"
    "host    all          all   127.0.0.1/32  scram-sha-256\n"
    "host    all          all   ::1/128       scram-sha-256\n"
    "local   replication  all                 scram-sha-256\n"
    "host    replication  all   127.0.0.1/32  scram-sha-256\n"
    "host    replication  all   ::1/128       scram-sha-256\n";

/// 48 hex digits from /dev/urandom.
std::string random_password();
/// libpq's password file: `*:*:*:<role>:<password>` lines, role to password.
std::map<std::string, std::string> read_passfile(const std::filesystem::path& file);
/// Writes it whole (through a new file renamed into place), mode 0600.
void write_passfile(const std::filesystem::path& file, const std::map<std::string, std::string>& passwords);
/// Creates or truncates `file` with mode 0600 before anything is written, then writes `text`.
void write_private_file(const std::filesystem::path& file, const std::string& text);

/// `text` percent-encoded for a part of a URL: everything but RFC 3986's unreserved characters.
std::string url_encoded(std::string_view text);

}  // namespace tenantry::db::detail

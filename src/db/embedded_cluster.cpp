#include "tenantry/db/embedded_cluster.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "db/detail/cluster_credentials.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/tenant_roles.hpp"

namespace tenantry::db {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSystemUser = "postgres";
constexpr std::string_view kSuperuser = EmbeddedCluster::kSuperuser;

/// What each login role may do, set on every start (ALTER ROLE ... WITH), so that an older cluster gets it.
struct LoginRole {
  std::string_view name;
  const char* attributes;
};
constexpr std::array<LoginRole, 3> kLoginRoles{{
    {EmbeddedCluster::kSuperuser, "LOGIN SUPERUSER"},
    {EmbeddedCluster::kOwnerRole, "LOGIN CREATEROLE NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS"},
    {EmbeddedCluster::kRuntimeRole,
     "LOGIN INHERIT NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS"},
}};

/// What the server may write to its log. Without these, a failing INSERT INTO users logs the whole row
/// ("Failing row contains (..., <password hash>, ...)" as DETAIL) and the statement, with its parameters.
struct LogSetting {
  const char* name;
  const char* value;
};
constexpr std::array<LogSetting, 6> kLogSettings{{
    {"log_error_verbosity", "terse"},            // no DETAIL, HINT, QUERY or CONTEXT: rows, keys, parameters
    {"log_min_error_statement", "panic"},        // no statement text of failed statements
    {"log_parameter_max_length", "0"},           // no bind parameters of logged statements
    {"log_parameter_max_length_on_error", "0"},  // nor of failed ones
    {"log_statement", "none"},                   // no statements logged as such
    {"log_min_duration_statement", "-1"},        // nor as slow ones
}};

fs::path find_bin_dir() {
  if (const char* env = std::getenv("TENANTRY_PG_BIN")) return env;
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(entry.path() / "bin" / "pg_ctl")) candidates.push_back(entry.path() / "bin");
  if (candidates.empty())
    throw Error("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run scripts/install-deps)");
  std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    return std::stoi(a.parent_path().filename().string()) < std::stoi(b.parent_path().filename().string());
  });
  return candidates.back();
}

struct SystemUser {
  uid_t uid;
  gid_t gid;
};

SystemUser system_user() {
  const passwd* pw = ::getpwnam(kSystemUser);
  if (pw == nullptr)
    throw Error(
        "running as root, but there is no 'postgres' system user to run PostgreSQL as (install postgresql)");
  return {pw->pw_uid, pw->pw_gid};
}

/// Runs a program, as the postgres system user when asked, with output appended to `log` (or inherited).
int run(std::vector<std::string> argv, bool as_postgres, const fs::path& log) {
  if (as_postgres) argv.insert(argv.begin(), {"runuser", "-u", kSystemUser, "--"});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw Error("fork failed");
  if (pid == 0) {
    if (!log.empty()) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string tail(const fs::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i] + "\n";
  return out;
}

/// Serialises start/stop between processes sharing one cluster directory.
class DirLock {
 public:
  explicit DirLock(const fs::path& file) : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw Error("cannot open lock file " + file.string());
    while (::flock(fd_, LOCK_EX) < 0 && errno == EINTR) {
    }
  }
  ~DirLock() { ::close(fd_); }

 private:
  int fd_;
};

using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

PgResult exec(PGconn* conn, const std::string& sql) {
  PgResult r(PQexec(conn, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw Error("embedded cluster: " + sql + ": " + PQerrorMessage(conn));
  return r;
}

std::string quoted(PGconn* conn, std::string_view text, bool identifier) {
  char* q = identifier ? PQescapeIdentifier(conn, text.data(), text.size())
                       : PQescapeLiteral(conn, text.data(), text.size());
  if (q == nullptr) throw Error("cannot quote '" + std::string(text) + "': " + PQerrorMessage(conn));
  std::string out(q);
  PQfreemem(q);
  return out;
}

std::string role_conninfo(const fs::path& socket_dir, std::string_view database, std::string_view role,
                          const fs::path& passfile) {
  return "host=" + conninfo_value(socket_dir.string()) + " dbname=" + conninfo_value(database) +
         " user=" + conninfo_value(role) + " passfile=" + conninfo_value(passfile.string());
}

PgConn admin_connection(const fs::path& socket_dir, const fs::path& passfile) {
  const std::string admin = role_conninfo(socket_dir, "postgres", kSuperuser, passfile);
  PgConn conn(PQconnectdb(admin.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw ConnectionError("cannot connect to the embedded cluster: " +
                          std::string(PQerrorMessage(conn.get())));
  // Notices ("role ... is already a member") are not news: keep them off stderr.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

void ensure_log_settings(PGconn* conn) {
  // A cluster initialised by an older version lacks them in postgresql.conf: ALTER SYSTEM writes them to
  // postgresql.auto.conf, which wins over postgresql.conf, and a reload applies them to a running server.
  // Settings this PostgreSQL does not know are skipped.
  bool changed = false;
  for (const LogSetting& setting : kLogSettings) {
    const char* name[] = {setting.name};
    PgResult current(PQexecParams(conn, "SELECT setting FROM pg_settings WHERE name = $1", 1, nullptr, name,
                                  nullptr, nullptr, 0),
                     &PQclear);
    if (PQresultStatus(current.get()) != PGRES_TUPLES_OK || PQntuples(current.get()) != 1 ||
        std::string_view(PQgetvalue(current.get(), 0, 0)) == setting.value)
      continue;
    // ALTER SYSTEM takes no bind parameters: both parts are quoted.
    exec(conn,
         "ALTER SYSTEM SET " + quoted(conn, setting.name, true) + " = " + quoted(conn, setting.value, false));
    changed = true;
  }
  if (changed) exec(conn, "SELECT pg_reload_conf()");
}

/// Creates the database, owned by the owner role, when missing; returns the role that owns it.
std::string ensure_database(PGconn* conn, const std::string& database) {
  const char* values[] = {database.c_str()};
  const char* kOwnerOf = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1";
  PgResult exists(PQexecParams(conn, kOwnerOf, 1, nullptr, values, nullptr, nullptr, 0), &PQclear);
  if (PQntuples(exists.get()) == 1) return PQgetvalue(exists.get(), 0, 0);
  const std::string sql = "CREATE DATABASE " + quoted(conn, database, true) + " OWNER " +
                          quoted(conn, EmbeddedCluster::kOwnerRole, true);
  PgResult created(PQexec(conn, sql.c_str()), &PQclear);
  if (PQresultStatus(created.get()) != PGRES_COMMAND_OK &&
      std::string_view(PQresultErrorField(created.get(), PG_DIAG_SQLSTATE) ?: "") != "42P04")
    throw Error("cannot create database " + database + ": " + PQerrorMessage(conn));
  return std::string(EmbeddedCluster::kOwnerRole);
}

/// Creates the login roles, gives each its attributes and its password (as a SCRAM verifier computed here:
/// the password itself never reaches the server, nor its log).
void ensure_login_roles(PGconn* conn, const std::map<std::string, std::string>& passwords) {
  for (const LoginRole& role : kLoginRoles) {
    const std::string name(role.name);
    const char* values[] = {name.c_str()};
    PgResult exists(PQexecParams(conn, "SELECT 1 FROM pg_roles WHERE rolname = $1", 1, nullptr, values,
                                 nullptr, nullptr, 0),
                    &PQclear);
    if (PQntuples(exists.get()) == 0) exec(conn, "CREATE ROLE " + quoted(conn, name, true));
    char* verifier = PQencryptPasswordConn(conn, passwords.at(name).c_str(), name.c_str(), "scram-sha-256");
    if (verifier == nullptr) throw Error("cannot encrypt a password: " + std::string(PQerrorMessage(conn)));
    const std::string password = quoted(conn, verifier, false);
    PQfreemem(verifier);
    exec(conn,
         "ALTER ROLE " + quoted(conn, name, true) + " WITH " + role.attributes + " PASSWORD " + password);
  }
  // The group roles (tenantry/db/tenant_roles.hpp), so that the server's role may take tenant roles as soon
  // as the migrations made any.
  PgResult groups(PQexec(conn,
                         "SELECT rolname FROM pg_roles WHERE rolname IN ('tenantry_runtime', "
                         "'tenantry_tenants')"),
                  &PQclear);
  if (PQntuples(groups.get()) < 2) {
    bool runtime = false, tenants = false;
    for (int i = 0; i < PQntuples(groups.get()); ++i)
      (std::string_view(PQgetvalue(groups.get(), i, 0)) == kRuntimeGroup ? runtime : tenants) = true;
    if (!runtime) exec(conn, "CREATE ROLE tenantry_runtime NOLOGIN NOINHERIT");
    if (!tenants) exec(conn, "CREATE ROLE tenantry_tenants NOLOGIN");
  }
  exec(conn, "GRANT tenantry_runtime TO " + quoted(conn, EmbeddedCluster::kRuntimeRole, true));
}

/// A cluster initialised by an older version trusted every local connection: once the roles have their
/// passwords, it asks for them too.
void ensure_password_authentication(PGconn* conn, bool as_postgres_user) {
  PgResult trusting(PQexec(conn, "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust'"),
                    &PQclear);
  if (PQresultStatus(trusting.get()) != PGRES_TUPLES_OK ||
      std::string_view(PQgetvalue(trusting.get(), 0, 0)) == "0")
    return;
  PgResult file(PQexec(conn, "SHOW hba_file"), &PQclear);
  const fs::path hba = PQgetvalue(file.get(), 0, 0);
  std::ofstream(hba, std::ios::trunc) << detail::kHbaConf;
  if (as_postgres_user) {
    const SystemUser user = system_user();
    if (::chown(hba.c_str(), user.uid, user.gid) != 0) throw Error("cannot chown " + hba.string());
  }
  exec(conn, "SELECT pg_reload_conf()");
}

}  // namespace

std::string conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

EmbeddedCluster::EmbeddedCluster(EmbeddedClusterOptions options) : options_(std::move(options)) {
  bin_dir_ = find_bin_dir();
  base_dir_ = fs::absolute(options_.dir).lexically_normal();
  as_postgres_user_ = ::geteuid() == 0;
  data_dir_ = base_dir_ / "postgres";
  socket_dir_ = base_dir_ / "run";
  log_file_ = base_dir_ / "postgres.log";
  passfile_ = base_dir_ / "pgpass";
}

std::string EmbeddedCluster::conninfo_as(std::string_view role) const {
  return role_conninfo(socket_dir_, options_.database, role, passfile_);
}

std::string EmbeddedCluster::conninfo() const {
  return conninfo_as(kSuperuser);
}

std::string EmbeddedCluster::url_as(std::string_view role) const {
  return "postgresql://" + detail::url_encoded(role) + "@/" + detail::url_encoded(options_.database) +
         "?host=" + detail::url_encoded(socket_dir_.string()) +
         "&passfile=" + detail::url_encoded(passfile_.string());
}

std::string EmbeddedCluster::owner_url() const {
  return url_as(owner_role_);
}

std::string EmbeddedCluster::runtime_url() const {
  return url_as(kRuntimeRole);
}

void EmbeddedCluster::ensure_passwords() {
  auto passwords = detail::read_passfile(passfile_);
  bool added = false;
  for (const LoginRole& role : kLoginRoles)
    if (!passwords.contains(std::string(role.name))) {
      passwords[std::string(role.name)] = detail::random_password();
      added = true;
    }
  if (added || (fs::status(passfile_).permissions() & (fs::perms::group_all | fs::perms::others_all)) !=
                   fs::perms::none)
    detail::write_passfile(passfile_, passwords);
}

int EmbeddedCluster::pg_ctl(const std::vector<std::string>& args, bool quiet) const {
  std::vector<std::string> argv{(bin_dir_ / "pg_ctl").string(), "-D", data_dir_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, as_postgres_user_, quiet ? fs::path("/dev/null") : fs::path());
}

bool EmbeddedCluster::running() const {
  return fs::exists(data_dir_ / "PG_VERSION") && pg_ctl({"status"}) == 0;
}

void EmbeddedCluster::initialise() {
  fs::create_directories(data_dir_);
  fs::create_directories(socket_dir_);
  fs::permissions(data_dir_, fs::perms::owner_all);
  fs::permissions(socket_dir_, fs::perms::owner_all);
  if (as_postgres_user_) {
    const SystemUser user = system_user();
    for (const auto& p : {data_dir_, socket_dir_})
      if (::chown(p.c_str(), user.uid, user.gid) != 0) throw Error("cannot chown " + p.string());
    std::ofstream(log_file_, std::ios::app).close();
    if (::chown(log_file_.c_str(), user.uid, user.gid) != 0)
      throw Error("cannot chown " + log_file_.string());
    if (run({"test", "-w", data_dir_.string()}, true, "/dev/null") != 0)
      throw Error("the 'postgres' system user cannot reach " + data_dir_.string() +
                  " (a parent directory is not searchable by other users); point TENANTRY_VAR_DIR elsewhere, "
                  "e.g. under /var/tmp");
  }
  if (fs::exists(data_dir_ / "PG_VERSION")) return;
  const fs::path init_log = base_dir_ / "initdb.log";
  // The superuser's password reaches initdb in a file only it (and the postgres system user) may read.
  const fs::path pwfile = base_dir_ / ".initdb-password";
  struct RemoveFile {
    fs::path path;
    ~RemoveFile() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } remove_pwfile{pwfile};
  detail::write_private_file(pwfile, detail::read_passfile(passfile_).at(std::string(kSuperuser)) + "\n");
  if (as_postgres_user_) {
    const SystemUser user = system_user();
    if (::chown(pwfile.c_str(), user.uid, user.gid) != 0) throw Error("cannot chown " + pwfile.string());
  }
  std::vector<std::string> argv{(bin_dir_ / "initdb").string(),
                                "-D",
                                data_dir_.string(),
                                "-U",
                                std::string(kSuperuser),
                                "-E",
                                "UTF8",
                                "--locale=C",
                                "--auth=scram-sha-256",
                                "--pwfile=" + pwfile.string(),
                                "--no-instructions"};
  if (options_.ephemeral) argv.push_back("--no-sync");
  std::ofstream(init_log, std::ios::trunc).close();
  if (as_postgres_user_) {
    const SystemUser user = system_user();
    if (::chown(init_log.c_str(), user.uid, user.gid) != 0) throw Error("cannot chown " + init_log.string());
  }
  if (run(argv, as_postgres_user_, init_log) != 0)
    throw Error("initdb failed for " + data_dir_.string() + ":\n" + tail(init_log, 20));
  // Only the Unix socket, owner-only: the cluster is private to this checkout.
  std::ofstream conf(data_dir_ / "postgresql.conf", std::ios::app);
  conf << "\n# Tenantry embedded cluster\n"
       << "listen_addresses = ''\n"
       << "unix_socket_permissions = 0700\n"
       << "max_connections = 300\n"
       << "shared_buffers = 128MB\n"
       << "shared_preload_libraries = 'pg_stat_statements'\n"
       << "log_min_messages = warning\n";
  for (const LogSetting& setting : kLogSettings) conf << setting.name << " = '" << setting.value << "'\n";
  if (options_.ephemeral) conf << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
  std::ofstream(data_dir_ / "pg_hba.conf", std::ios::trunc) << detail::kHbaConf;
}

void EmbeddedCluster::start() {
  fs::create_directories(base_dir_);
  DirLock lock(base_dir_ / ".cluster.lock");
  ensure_passwords();
  initialise();
  if (pg_ctl({"status"}) == 0) {
    configure_server();
    return;
  }
  // The socket directory is given at start, so a moved checkout still works.
  const std::string server_options = "-k '" + socket_dir_.string() + "'";
  if (socket_dir_.string().find('\'') != std::string::npos)
    throw Error("the cluster directory may not contain a single quote: " + base_dir_.string());
  if (pg_ctl({"start", "-w", "-t", "60", "-l", log_file_.string(), "-o", server_options}) != 0)
    throw Error("PostgreSQL did not start; the end of " + log_file_.string() + ":\n" + tail(log_file_, 20));
  started_here_ = true;
  configure_server();
}

void EmbeddedCluster::configure_server() {
  PgConn conn = admin_connection(socket_dir_, passfile_);
  ensure_log_settings(conn.get());
  ensure_login_roles(conn.get(), detail::read_passfile(passfile_));
  ensure_password_authentication(conn.get(), as_postgres_user_);
  owner_role_ = ensure_database(conn.get(), options_.database);
}

int EmbeddedCluster::other_clients() const {
  const std::string admin = role_conninfo(socket_dir_, "postgres", kSuperuser, passfile_);
  PgConn conn(PQconnectdb(admin.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) return 0;
  std::unique_ptr<PGresult, decltype(&PQclear)> r(
      PQexec(conn.get(),
             "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> "
             "pg_backend_pid()"),
      &PQclear);
  return PQresultStatus(r.get()) == PGRES_TUPLES_OK ? std::atoi(PQgetvalue(r.get(), 0, 0)) : 0;
}

void EmbeddedCluster::stop() {
  if (!started_here_) return;
  started_here_ = false;
  DirLock lock(base_dir_ / ".cluster.lock");
  // Another process (a server started meanwhile) still uses it: leave it running for that process.
  if (other_clients() > 0) return;
  pg_ctl({"stop", "-m", "fast", "-w", "-t", "60"});
}

void EmbeddedCluster::stop_unconditionally() {
  DirLock lock(base_dir_ / ".cluster.lock");
  if (running()) pg_ctl({"stop", "-m", "fast", "-w", "-t", "60"});
  started_here_ = false;
}

}  // namespace tenantry::db

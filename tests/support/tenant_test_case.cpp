#include "tenant_test_case.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apps/accounts/accounts_app.hpp"
#include "apps/registry.hpp"
#include "apps/routes.hpp"
#include "tenantry/db/embedded_cluster.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/migrations/migration_runner.hpp"
#include "tenantry/tenancy/database_grants.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"

namespace tenantry::testing {

namespace {

// Bump when fill_template() changes what a template holds.
constexpr int kTemplateVersion = 3;

// The template's name carries its version and the migrations' digests: either changing makes a new template.
std::string template_name() {
  return "tenantry_tpl" + std::to_string(kTemplateVersion) + "_" + shared_plan().digest().substr(0, 10) +
         "_" + tenant_plan().digest().substr(0, 10);
}

Task<void> fill_template(db::Pool& pool, const Config& config) {
  migrations::MigrationRunner migrate(pool, apps::installed());
  auto shared = co_await migrate.migrate_shared();
  if (shared.kind == migrations::SchemaOutcome::Kind::kFailed) throw std::runtime_error(shared.error);
  tenancy::TenantProvisioner provisioner(pool, migrate.tenant_plan());
  auth::AuthService auth(config);
  db::Session db(pool);
  static const std::array<std::string, 2> stores{TenantTestCase::kStore, TenantTestCase::kOtherStore};
  for (const std::string& store : stores) {
    tenancy::NewTenant request{db::SchemaName(store), "Test " + store, {}, "free"};
    request.domains.emplace_back(TenantTestCase::host(store));
    const auto tenant = co_await provisioner.create(request);
    const std::vector<std::string> roles = store == TenantTestCase::kStore
                                               ? std::vector<std::string>{"owner", "admin", "staff", "viewer"}
                                               : std::vector<std::string>{"owner"};
    for (const auto& role : roles) {
      const auto id = co_await apps::accounts::ensure_user(db, auth, TenantTestCase::email(role, store),
                                                           TenantTestCase::kPassword, role + " of " + store);
      co_await db.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)", id,
                        tenant.id, role);
    }
    const auto multi =
        co_await apps::accounts::ensure_user(db, auth, "multi@both.test", TenantTestCase::kPassword, "Multi");
    const std::string multi_role = store == TenantTestCase::kStore ? "staff" : "admin";
    co_await db.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)", multi,
                      tenant.id, multi_role);
  }
  const auto admin = co_await apps::accounts::ensure_user(db, auth, TenantTestCase::kPlatformAdmin,
                                                          TenantTestCase::kPassword, "Platform admin");
  co_await db.query("UPDATE users SET is_platform_admin = true WHERE id = $1", admin);
}

/// Creates the template database once per test run; concurrent test processes wait on an advisory lock and
/// the template appears under its final name only when complete.
void ensure_template(const std::string& name, const Config& config) {
  AdminSession admin;
  admin.exec("SELECT pg_advisory_lock(7426)");
  if (admin.exec("SELECT 1 FROM pg_database WHERE datname = '" + name + "'") == "1") return;
  const std::string building = name + "_building";
  admin.exec("DROP DATABASE IF EXISTS \"" + building + "\" WITH (FORCE)");
  admin.exec("CREATE DATABASE \"" + building + "\" TEMPLATE template0 OWNER tenantry_owner");
  {
    // Filled by the owner role, as `tenantry migrate` and provisioning would.
    boost::asio::io_context io;
    db::Pool pool(io, db::PoolConfig{.connect = {.conninfo = test_owner_conninfo(), .dbname = building}});
    run_blocking(io, fill_template(pool, config));
    pool.close();
  }
  admin.exec("ALTER DATABASE \"" + building + "\" RENAME TO \"" + name + "\"");
}

}  // namespace

static std::string runtime_role() {
  const char* url = std::getenv("TENANTRY_TEST_DATABASE_URL");
  if (url && *url) return AdminSession().exec("SELECT session_user");
  return std::string(db::EmbeddedCluster::kRuntimeRole);
}

web::DatabaseUrls TenantTestCase::urls() const {
  return {database_->runtime_conninfo(), database_->owner_conninfo()};
}

const migrations::MigrationPlan& shared_plan() {
  static const migrations::MigrationPlan plan(apps::installed(), migrations::Scope::kShared);
  return plan;
}
const migrations::MigrationPlan& tenant_plan() {
  static const migrations::MigrationPlan plan(apps::installed(), migrations::Scope::kTenant);
  return plan;
}

std::string TenantTestCase::email(const std::string& role, const std::string& store) {
  return role + "@" + store + ".test";
}

TenantTestCase::TenantTestCase() {
  config.server.listen = "127.0.0.1:0";
  config.server.threads = 2;
  config.server.access_log = false;
  config.database.pool_size = 8;
  config.server.metrics_token = kMetricsToken;
  char dir[] = "/tmp/tenantry-mail-XXXXXX";
  if (::mkdtemp(dir) == nullptr) throw std::runtime_error("cannot create a mail directory");
  mail_dir_ = dir;
  config.mail.file_dir = mail_dir_;
  static const std::string tpl = template_name();
  ensure_template(tpl, config);
  database_ = std::make_unique<TestDatabase>(tpl);
  // The copy's tenants get roles named for this database (and the template's lose their grants here), as
  // `tenantry db grants --apply` would do after copying a database.
  boost::asio::io_context io;
  db::Pool owner(io, db::PoolConfig{.connect = {.conninfo = database_->owner_conninfo()}, .max_size = 1});
  tenancy::DatabaseGrants grants(owner, runtime_role());
  run_blocking(io, grants.apply());
  owner.close();
}

TenantTestCase::~TenantTestCase() {
  client_.reset();
  if (app_) app_->stop(false);
  app_.reset();
  std::error_code ec;
  std::filesystem::remove_all(mail_dir_, ec);
}

std::vector<std::string> TenantTestCase::mails(const std::string& to) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(mail_dir_, ec))
    if (entry.path().extension() == ".eml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());  // named by time of writing
  std::vector<std::string> out;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("\r\nTo: " + to + "\r\n") != std::string::npos) out.push_back(std::move(text));
  }
  return out;
}

std::string TenantTestCase::mail_to(const std::string& to, std::size_t skip) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto found = mails(to);
    if (found.size() > skip) return found[skip];
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no mail to " + to);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::size_t TenantTestCase::mail_count(const std::string& to) {
  return mails(to).size();
}

std::string TenantTestCase::link_token(const std::string& message) {
  const auto at = message.find("token=");
  if (at == std::string::npos) throw std::runtime_error("no link in the message");
  const auto end = message.find_first_of(" \r\n\"", at + 6);
  return message.substr(at + 6, end - at - 6);
}

void TenantTestCase::start() {
  if (app_) return;
  app_ = std::make_unique<web::Application>(config, urls(), apps::all_routes(config, tenant_plan()),
                                            shared_plan(), tenant_plan());
  app_->start();
  client_ = std::make_unique<HttpClient>(app_->port());
}

std::unique_ptr<web::Application> TenantTestCase::start_another_server() {
  auto app = std::make_unique<web::Application>(config, urls(), apps::all_routes(config, tenant_plan()),
                                                shared_plan(), tenant_plan());
  app->start();
  return app;
}

std::uint16_t TenantTestCase::port() {
  start();
  return app_->port();
}

std::uint16_t TenantTestCase::metrics_port() {
  start();
  return app_->metrics_port();
}

HttpResponse TenantTestCase::metrics() {
  return request("GET", "/metrics",
                 {"Host: localhost", "Authorization: Bearer " + config.server.metrics_token});
}

std::string TenantTestCase::token(const std::string& role, const std::string& store) {
  const std::string key = role + "@" + store;
  if (auto it = tokens_.find(key); it != tokens_.end()) return it->second;
  boost::json::object body{{"email", role == "multi" ? std::string("multi@both.test") : email(role, store)},
                           {"password", kPassword}};
  auto r = send("POST", "/api/auth/login", "", store, boost::json::serialize(body));
  if (r.status != 200) throw std::runtime_error("login as " + key + " failed: " + r.body);
  return tokens_[key] = std::string(json(r)["token"].as_string());
}

std::string TenantTestCase::admin_token() {
  if (auto it = tokens_.find("platform-admin"); it != tokens_.end()) return it->second;
  const boost::json::object body{{"email", kPlatformAdmin}, {"password", kPassword}};
  auto r = request("POST", "/admin/api/auth/login", {"Host: localhost"}, boost::json::serialize(body));
  if (r.status != 200) throw std::runtime_error("admin login failed: " + r.body);
  return tokens_["platform-admin"] = std::string(json(r)["token"].as_string());
}

HttpResponse TenantTestCase::admin(const std::string& method, const std::string& target,
                                   const std::string& body) {
  std::vector<std::string> headers{"Host: localhost", "Authorization: Bearer " + admin_token()};
  return request(method, target, std::move(headers), body);
}

HttpResponse TenantTestCase::send(const std::string& method, const std::string& target,
                                  const std::string& role, const std::string& store,
                                  const std::string& body) {
  start();
  std::vector<std::string> headers{"Host: " + host(store)};
  if (!role.empty()) headers.push_back("Authorization: Bearer " + token(role, store));
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  return client_->request(method, target, headers, body);
}

HttpResponse TenantTestCase::request(const std::string& method, const std::string& target,
                                     std::vector<std::string> headers, const std::string& body) {
  start();
  return client_->request(method, target, std::move(headers), body);
}

HttpResponse TenantTestCase::get(const std::string& target, const std::string& role,
                                 const std::string& store) {
  return send("GET", target, role, store, "");
}
HttpResponse TenantTestCase::post(const std::string& target, const boost::json::value& body,
                                  const std::string& role, const std::string& store) {
  return send("POST", target, role, store, boost::json::serialize(body));
}
HttpResponse TenantTestCase::patch(const std::string& target, const boost::json::value& body,
                                   const std::string& role, const std::string& store) {
  return send("PATCH", target, role, store, boost::json::serialize(body));
}
HttpResponse TenantTestCase::put(const std::string& target, const boost::json::value& body,
                                 const std::string& role, const std::string& store) {
  return send("PUT", target, role, store, boost::json::serialize(body));
}
HttpResponse TenantTestCase::del(const std::string& target, const std::string& role,
                                 const std::string& store) {
  return send("DELETE", target, role, store, "");
}

std::string TenantTestCase::sql(const std::string& statement, const std::string& schema) {
  boost::asio::io_context io;
  db::Pool pool(io, db::PoolConfig{.connect = database_->options(), .max_size = 1});
  const db::Session session(pool, schema.empty() ? db::SchemaName::public_schema() : db::SchemaName(schema));
  auto result = run_blocking(io, session.execute_script(statement));
  pool.close();
  return result.size() > 0 && result.columns() > 0 && !result[0].is_null(0) ? std::string(result[0].text(0))
                                                                            : "";
}

boost::json::object json(const HttpResponse& response) {
  if (response.body.empty()) return {};
  auto value = boost::json::parse(response.body);
  return value.is_object() ? value.as_object() : boost::json::object{{"value", value}};
}

std::string str(const boost::json::value& value) {
  return value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
}

std::set<std::string> error_fields(const HttpResponse& response) {
  std::set<std::string> fields;
  const auto body = json(response);
  if (const auto* errors = body.if_contains("errors"))
    for (const auto& e : errors->as_array()) fields.emplace(e.at("field").as_string());
  return fields;
}

}  // namespace tenantry::testing

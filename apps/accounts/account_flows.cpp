#include "apps/accounts/account_flows.hpp"

#include "apps/accounts/account_problems.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tenantry/web/schema.hpp"

namespace tenantry::apps::accounts {

namespace {

std::string bucket(std::string_view kind, std::string_view key) {
  return std::string(kind) + ":" + std::string(key);
}

std::string hours(std::int64_t n) {
  return std::to_string(n) + (n == 1 ? " hour" : " hours");
}

}  // namespace

std::vector<auth::ThrottleRule> login_rules(const Config& config, std::string_view address,
                                            std::string_view email) {
  return {{bucket("login:account", email), config.auth.login_per_account_per_minute},
          {bucket("login:address", address), config.auth.login_per_address_per_minute}};
}

std::vector<auth::ThrottleRule> signup_rules(const Config& config, std::string_view address) {
  return {{bucket("signup:address", address), config.auth.signup_per_address_per_minute},
          {"signup:all", config.auth.signup_per_minute}};
}

std::vector<auth::ThrottleRule> mail_rules(const Config& config, std::string_view address,
                                           std::string_view recipient) {
  return {{bucket("mail:address", address), config.auth.mail_per_address_per_minute},
          {bucket("mail:recipient", recipient), config.auth.mail_per_recipient_per_minute}};
}

boost::json::object user_json(const db::Row& row) {
  return {{"id", row.get<std::int64_t>("id")},
          {"email", row.get<std::string>("email")},
          {"display_name", row.get<std::string>("display_name")},
          {"email_verified", row.get<bool>("email_verified")}};
}

const web::Schema& user_schema() {
  using web::Schema;
  static const Schema schema = Schema::object({{"id", Schema::integer(1)},
                                               {"email", Schema::email()},
                                               {"display_name", Schema::string(0, 200)},
                                               {"email_verified", Schema::boolean()}})
                                   .describe("A global account.")
                                   .named("User");
  return schema;
}

web::Schema token_schema(std::vector<web::Schema::Property> extra, std::string name) {
  using web::Schema;
  extra.push_back({"token", Schema::string(1).describe("Send it as `Authorization: Bearer <token>`.")});
  extra.push_back({"token_type", Schema::choice({"Bearer"})});
  extra.push_back({"expires_at", Schema::timestamp()});
  return Schema::object(std::move(extra)).named(std::move(name));
}

const web::Schema& credentials_schema() {
  using web::Schema;
  static const Schema schema =
      Schema::object({{"email", Schema::email()}, {"password", Schema::string(1, 1024)}})
          .named("Credentials");
  return schema;
}

const web::Schema& email_verified_schema() {
  using web::Schema;
  static const Schema schema =
      Schema::object({{"email", Schema::email()}, {"email_verified", Schema::boolean()}})
          .named("EmailVerified");
  return schema;
}

const std::vector<std::string>& role_names() {
  static const std::vector<std::string> names{"viewer", "staff", "admin", "owner"};
  return names;
}

http::Response token_response(int status, const auth::IssuedToken& token, boost::json::object extra) {
  extra["token"] = token.token;
  extra["token_type"] = "Bearer";
  extra["expires_at"] = db::format_rfc3339(db::Timestamp{std::chrono::seconds{token.expires_at}});
  return http::Response::json(status, extra);
}

void invalid_credentials() {
  throw http::Unauthorized(kInvalidCredentials, "The e-mail or password is wrong.");
}

std::string link_url(const Config& config, std::string_view path, std::string_view token) {
  std::string base = config.mail.link_base_url;
  if (base.empty())
    base = "http://localhost:" + config.server.listen.substr(config.server.listen.rfind(':') + 1);
  while (base.ends_with('/')) base.pop_back();
  // The token is base64url, hex and dots: nothing to escape in a query.
  return base + std::string(path) + "?token=" + std::string(token);
}

Task<LinkMail> verification_mail(db::Transaction& tx, const Accounts& accounts, const Config& config,
                                 std::int64_t user_id, const std::string& email) {
  const NewLink link{.purpose = LinkPurpose::kVerifyEmail,
                     .email = email,
                     .user_id = user_id,
                     .ttl_seconds = config.auth.verification_ttl_hours * 3600};
  const CreatedLink created = co_await accounts.links.create(tx, link);
  const std::string& token = created.token;
  co_return LinkMail{
      mail::Message{.to = email,
                    .subject = "Confirm your e-mail address",
                    .body = "Open this link to confirm that " + email + " is yours:\n\n" +
                            link_url(config, "/api/auth/verify-email", token) +
                            "\n\nThe link works once, for " + hours(config.auth.verification_ttl_hours) +
                            ". Until then your account can only use the " +
                            "store it created; unconfirmed accounts are removed after " +
                            hours(config.auth.unverified_account_hours) + ".\n"},
      created};
}

Task<LinkMail> password_reset_mail(db::Transaction& tx, const Accounts& accounts, const Config& config,
                                   std::int64_t user_id, const std::string& email) {
  const NewLink link{.purpose = LinkPurpose::kResetPassword,
                     .email = email,
                     .user_id = user_id,
                     .ttl_seconds = config.auth.password_reset_ttl_minutes * 60};
  const CreatedLink created = co_await accounts.links.create(tx, link);
  const std::string& token = created.token;
  co_return LinkMail{
      mail::Message{
          .to = email,
          .subject = "Reset your password",
          .body =
              "Someone asked to reset the password of the account " + email +
              ". If it was you, choose a new password by sending\n\n  POST /api/auth/password-reset/confirm "
              "{\"token\": \"" +
              token + "\", \"password\": \"...\"}\n\nto " +
              link_url(config, "/api/auth/password-reset/confirm", token) + "\n\nThe token works once, for " +
              std::to_string(config.auth.password_reset_ttl_minutes) +
              " minutes, and logs the account out everywhere. If it was not you, ignore this message.\n"},
      created};
}

Task<LinkMail> invitation_mail(db::Transaction& tx, const Accounts& accounts, const Config& config,
                               const Invitation& invitation) {
  const NewLink link{.purpose = LinkPurpose::kInvitation,
                     .email = invitation.email,
                     .tenant_id = invitation.tenant_id,
                     .role = invitation.role,
                     .created_by = invitation.invited_by,
                     .ttl_seconds = config.auth.invitation_ttl_hours * 3600};
  const CreatedLink created = co_await accounts.links.create(tx, link);
  const std::string& token = created.token;
  co_return LinkMail{
      mail::Message{
          .to = invitation.email,
          .subject = "You are invited to " + invitation.store_name,
          .body = "You are invited to join the store \"" + invitation.store_name + "\" as " +
                  invitation.role + ". To accept, send\n\n  POST /api/invitations/accept {\"token\": \"" +
                  token + "\", \"password\": \"...\"}\n\nto " +
                  link_url(config, "/api/invitations/accept", token) +
                  "\n\nwith the password of your account for " + invitation.email +
                  " (or a new password, if you have no account yet). The invitation works once, for " +
                  hours(config.auth.invitation_ttl_hours) + ".\n"},
      created};
}

Task<std::int64_t> insert_user(db::Transaction& tx, const std::string& email, const std::string& hash,
                               const std::string& display_name, bool verified) {
  auto row = co_await tx.query(
      "INSERT INTO public.users (email, password_hash, display_name, email_verified_at) "
      "VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END) RETURNING id",
      email, hash, display_name, verified);
  co_return row.one().get<std::int64_t>(0);
}

Task<std::int64_t> purge_unverified_accounts(const db::Session& db, const Config& config) {
  auto purged = co_await db.query(
      "WITH doomed AS (SELECT id FROM public.users WHERE email_verified_at IS NULL AND NOT is_platform_admin "
      "  AND created_at < now() - make_interval(hours => $1::int)), "
      "lone AS (SELECT m.tenant_id FROM public.memberships m WHERE m.user_id IN (SELECT id FROM doomed) "
      "  AND NOT EXISTS (SELECT 1 FROM public.memberships o WHERE o.tenant_id = m.tenant_id "
      "    AND o.user_id NOT IN (SELECT id FROM doomed))), "
      "archived AS (UPDATE public.tenants SET state = 'archived', state_reason = 'the owner never verified "
      "  the e-mail address', updated_at = now() WHERE id IN (SELECT tenant_id FROM lone) "
      "  AND state IN ('active', 'suspended') RETURNING id) "
      "DELETE FROM public.users WHERE id IN (SELECT id FROM doomed) "
      "RETURNING (SELECT count(*) FROM archived)",
      config.auth.unverified_account_hours);
  if (!purged.empty())
    spdlog::info("purged {} unverified accounts; archived {} stores they alone belonged to", purged.size(),
                 purged[0].get<std::int64_t>(0));
  co_return static_cast<std::int64_t>(purged.size());
}

Task<void> housekeeping(boost::asio::io_context& io, db::Pool& pool, const Config& config) {
  boost::asio::steady_timer pause(io);
  const db::Session db(pool);
  for (;;) {
    try {
      co_await auth::purge_throttles(db);
      co_await db.query(
          "DELETE FROM public.auth_links WHERE expires_at < now() - interval '1 day' "
          "OR used_at < now() - interval '1 day'");
      co_await db.query("DELETE FROM public.token_revocations WHERE expires_at < now()");
      co_await purge_unverified_accounts(db, config);
    } catch (const std::exception& e) {
      spdlog::warn("accounts housekeeping: {}", e.what());
    }
    pause.expires_after(std::chrono::minutes(1));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace tenantry::apps::accounts

#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/accounts/mail_links.hpp"
#include "tenantry/auth/auth_service.hpp"
#include "tenantry/auth/throttle.hpp"
#include "tenantry/db/result.hpp"
#include "tenantry/http/response.hpp"
#include "tenantry/mail/mailer.hpp"
#include "tenantry/migrations/migration_plan.hpp"
#include "tenantry/web/request_context.hpp"
#include "tenantry/web/schema.hpp"

namespace boost::asio {
class io_context;
}

// What the accounts app's handlers share: throttle buckets, mails and their links, response shapes.
namespace tenantry::apps::accounts {

/// The services the account handlers use.
struct Accounts {
  std::shared_ptr<auth::AuthService> auth;
  std::shared_ptr<mail::Mailer> mailer;
  const migrations::MigrationPlan& tenant_plan;
  MailLinks links{*auth};
};

inline constexpr std::int64_t kMinPassword = 10;

/// Login: per account (across addresses) and per client address (across accounts).
std::vector<auth::ThrottleRule> login_rules(const Config& config, std::string_view address,
                                            std::string_view email);
/// Anything that creates a tenant: per client address and overall.
std::vector<auth::ThrottleRule> signup_rules(const Config& config, std::string_view address);
/// Anything that sends mail: per client address and per recipient.
std::vector<auth::ThrottleRule> mail_rules(const Config& config, std::string_view address,
                                           std::string_view recipient);

/// {"id", "email", "display_name", "email_verified"} from columns of those names.
boost::json::object user_json(const db::Row& row);
/// The columns user_json() reads, from `users u`.
inline constexpr const char* kUserColumns =
    "u.id, u.email, u.display_name, u.email_verified_at IS NOT NULL AS email_verified";
/// What user_json() shows: "User" in the documents.
const web::Schema& user_schema();
http::Response token_response(int status, const auth::IssuedToken& token, boost::json::object extra);
/// What token_response() answers with `extra` properties, named `name`.
web::Schema token_schema(std::vector<web::Schema::Property> extra, std::string name);
/// {"email", "password"}: the body of the logins.
const web::Schema& credentials_schema();
/// {"email", "email_verified"}: the answer of the verification and reset flows.
const web::Schema& email_verified_schema();
/// The roles of a store, as the API names them.
const std::vector<std::string>& role_names();
[[noreturn]] void invalid_credentials();

/// The address a mailed link opens: `<mail.link_base_url><path>?token=<token>`.
std::string link_url(const Config& config, std::string_view path, std::string_view token);

/// A message and the link it carries.
struct LinkMail {
  mail::Message message;
  CreatedLink link;
};

/// Each creates the link in `tx` and returns the message that carries it; send it once `tx` committed.
Task<LinkMail> verification_mail(db::Transaction& tx, const Accounts& accounts, const Config& config,
                                 std::int64_t user_id, const std::string& email);
Task<LinkMail> password_reset_mail(db::Transaction& tx, const Accounts& accounts, const Config& config,
                                   std::int64_t user_id, const std::string& email);
struct Invitation {
  std::string email;
  std::string role;
  std::int64_t tenant_id = 0;
  std::string store_name;
  std::optional<std::int64_t> invited_by;  // none: an operator (the CLI) invited
};
Task<LinkMail> invitation_mail(db::Transaction& tx, const Accounts& accounts, const Config& config,
                               const Invitation& invitation);

/// Creates a user (unverified unless `verified`) with a hashed password; returns its id. The caller validated
/// the e-mail (normalize_email) and the password length.
/// The public routes (account_routes.cpp).
void register_account_routes(web::Routes& routes, const std::shared_ptr<const Accounts>& accounts);

/// Purges accounts that never verified their e-mail within auth.unverified_account_hours; the stores where
/// such an account was the only member are archived (their data kept). Returns how many accounts went.
Task<std::int64_t> purge_unverified_accounts(const db::Session& db, const Config& config);
/// Forgets expired throttle windows, links and revocations and purges unverified accounts: at start, then
/// every minute, until the io_context stops.
Task<void> housekeeping(boost::asio::io_context& io, db::Pool& pool, const Config& config);

Task<std::int64_t> insert_user(db::Transaction& tx, const std::string& email, const std::string& hash,
                               const std::string& display_name, bool verified);

}  // namespace tenantry::apps::accounts

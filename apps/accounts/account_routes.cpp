// The accounts app's public routes: signup, a new store for an existing account, e-mail verification,
// password reset and accepting an invitation. All answer on the public hosts.
#include <boost/json.hpp>

#include "apps/accounts/account_flows.hpp"
#include "apps/accounts/account_problems.hpp"
#include "apps/accounts/accounts_app.hpp"
#include "apps/accounts/plans.hpp"
#include "apps/admin/audit_log.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_catalog.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_json.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/web/tenant_schema.hpp"

namespace tenantry::apps::accounts {

namespace {

using http::Response;
using web::Presence;
using web::RequestContext;
using web::Schema;

/// A new store's fields, validated.
struct StoreRequest {
  std::string name;
  db::SchemaName slug;
  std::string email;
  std::string password;
};

const Schema& store_request_schema() {
  static const Schema schema = Schema::object({{"name", Schema::line(1, 200).example("Northwind Repairs")},
                                               {"slug", web::slug_schema()},
                                               {"email", Schema::email().example("owner@example.com")},
                                               {"password", Schema::string(kMinPassword, 1024)}})
                                   .named("StoreRequest");
  return schema;
}

StoreRequest read_store_request(const RequestContext& ctx) {
  return {*ctx.body.string("name"), db::SchemaName(*ctx.body.string("slug")), *ctx.body.string("email"),
          *ctx.body.string("password")};
}

constexpr std::string_view kAccountExistsDetail =
    "An account with this e-mail exists: log in and create the store from your account "
    "(POST /api/stores with its e-mail and password).";

// An e-mail taken by a signup racing this one is users_email.
constexpr web::ConstraintProblem kConstraintProblems[] = {
    web::answer_as("users_email", kAccountExists, kAccountExistsDetail),
};

[[noreturn]] void account_exists() {
  throw http::Conflict(kAccountExists, std::string(kAccountExistsDetail));
}

/// Creates the store; `on_activate` adds its owner in the same transaction. A taken slug or a leftover schema
/// is 409, and so is an e-mail taken by a signup racing this one.
Task<tenancy::Tenant> open_store(RequestContext& ctx, const Accounts& accounts, const StoreRequest& store,
                                 const tenancy::ActivationHook& on_activate) {
  const db::Session public_db(ctx.pool);
  if (!(co_await public_db.query(
            "SELECT 1 FROM tenants WHERE schema_name = $1 AND state NOT IN ('provisioning', 'failed')",
            store.slug))
           .empty())
    throw http::Conflict(kSlugTaken, "The store slug '" + store.slug.str() + "' is taken.");
  tenancy::NewTenant request{store.slug, store.name, {}, "free"};
  request.domains.push_back(tenancy::default_domain(store.slug, ctx.config.tenancy.base_domain));
  tenancy::TenantProvisioner provisioner(ctx.owner_pool, accounts.tenant_plan, ctx.config.tenancy);
  tenancy::Tenant tenant = co_await provisioner.create(request, on_activate);
  co_await ctx.tenants.load(ctx.pool);  // served by this process at once
  co_return tenant;
}

Task<Response> store_created(RequestContext& ctx, const Accounts& accounts, const tenancy::Tenant& tenant,
                             std::int64_t user_id) {
  const db::Session public_db(ctx.pool);
  const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users u WHERE u.id = $1";
  auto user = co_await public_db.query(sql, user_id);
  co_return token_response(
      201, accounts.auth->issue(auth::UserId{user_id}, tenant.id.value, auth::Role::kOwner),
      {{"tenant", tenancy::to_json(tenant)}, {"user", user_json(user.one())}, {"role", "owner"}});
}

Task<Response> signup(RequestContext& ctx, const Accounts& accounts) {
  const StoreRequest store = read_store_request(ctx);
  const db::Session public_db(ctx.pool);
  const auto rules = signup_rules(ctx.config, ctx.request.remote_address);
  co_await auth::throttle(public_db, rules);
  // One fixed answer, whatever the password: signup is no way to test passwords.
  if (!(co_await public_db.query("SELECT 1 FROM users WHERE email = $1", store.email)).empty())
    account_exists();
  const std::string hash = co_await accounts.auth->hash_password(store.password);
  std::int64_t user_id = 0;
  std::optional<LinkMail> verification;
  // Store, owner, membership and verification link commit together or not at all.
  const tenancy::ActivationHook add_owner = [&](db::Transaction& tx, tenancy::TenantId tenant) -> Task<void> {
    user_id = co_await insert_user(tx, store.email, hash, "", false);
    co_await tx.query("INSERT INTO public.memberships (user_id, tenant_id, role) VALUES ($1, $2, 'owner')",
                      user_id, tenant);
    verification = co_await verification_mail(tx, accounts, ctx.config, user_id, store.email);
    // Named, not a temporary in the co_await (the coroutine rule, tenantry/core/task.hpp).
    admin::AuditEntry entry{user_id, store.email, "signup", store.slug.str(), {{"name", store.name}}};
    co_await admin::record(tx, entry);
  };
  const tenancy::Tenant tenant = co_await open_store(ctx, accounts, store, add_owner);
  accounts.mailer->send(std::move(verification->message));
  co_return co_await store_created(ctx, accounts, tenant, user_id);
}

/// Checks an account's password (throttled like a login, plus the `extra` rules); returns its id.
Task<std::int64_t> authenticate_account(RequestContext& ctx, const Accounts& accounts,
                                        const std::string& email, const std::string& password,
                                        const std::vector<auth::ThrottleRule>& extra) {
  const db::Session public_db(ctx.pool);
  auto rules = login_rules(ctx.config, ctx.request.remote_address, email);
  rules.insert(rules.end(), extra.begin(), extra.end());
  co_await auth::throttle(public_db, rules);
  auto rows =
      co_await public_db.query("SELECT id, password_hash, is_disabled FROM users WHERE email = $1", email);
  std::string hash = rows.empty() ? std::string() : rows.one().get<std::string>(1);
  const bool valid = co_await accounts.auth->verify_password(std::move(hash), password);
  if (rows.empty() || !valid || rows.one().get<bool>(2)) invalid_credentials();
  co_return rows.one().get<std::int64_t>(0);
}

Task<Response> new_store(RequestContext& ctx, const Accounts& accounts) {
  const StoreRequest store = read_store_request(ctx);
  const auto creating = signup_rules(ctx.config, ctx.request.remote_address);
  const std::int64_t user_id =
      co_await authenticate_account(ctx, accounts, store.email, store.password, creating);
  const tenancy::ActivationHook add_owner = [&](db::Transaction& tx, tenancy::TenantId tenant) -> Task<void> {
    co_await tx.query("INSERT INTO public.memberships (user_id, tenant_id, role) VALUES ($1, $2, 'owner')",
                      user_id, tenant);
    admin::AuditEntry entry{user_id, store.email, "store.create", store.slug.str(), {{"name", store.name}}};
    co_await admin::record(tx, entry);
  };
  const tenancy::Tenant tenant = co_await open_store(ctx, accounts, store, add_owner);
  co_return co_await store_created(ctx, accounts, tenant, user_id);
}

/// The `token` of a link: the query parameter (a link opened in a browser) or the JSON body's field.
std::string link_token(const RequestContext& ctx) {
  auto token = ctx.request.method == "GET" ? ctx.query.string("token") : ctx.body.string("token");
  if (!token) throw http::Invalid("token", "This parameter is required.");
  return *token;
}

const Schema& token_text() {
  static const Schema schema = Schema::string(1, 256).describe("The token of the mailed link.");
  return schema;
}

Task<Response> verify_email(RequestContext& ctx, const Accounts& accounts) {
  const std::string token = link_token(ctx);
  const db::Session public_db(ctx.pool);
  db::Transaction tx = co_await public_db.begin();
  const MailLink link = co_await accounts.links.use(tx, LinkPurpose::kVerifyEmail, token);
  // Only while the account still has the address the link was sent to.
  co_await tx.query(
      "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1 AND email = $2",
      link.user_id, link.email);
  co_await tx.commit();
  co_return Response::json(200, {{"email", link.email}, {"email_verified", true}});
}

Task<Response> request_password_reset(RequestContext& ctx, const Accounts& accounts) {
  const auto email = ctx.body.string("email");
  const db::Session public_db(ctx.pool);
  const auto rules = mail_rules(ctx.config, ctx.request.remote_address, *email);
  co_await auth::throttle(public_db, rules);
  auto user = co_await public_db.query("SELECT id FROM users WHERE email = $1 AND NOT is_disabled", *email);
  if (!user.empty()) {
    db::Transaction tx = co_await public_db.begin();
    LinkMail reset =
        co_await password_reset_mail(tx, accounts, ctx.config, user.one().get<std::int64_t>(0), *email);
    co_await tx.commit();
    accounts.mailer->send(std::move(reset.message));
  }
  // The same answer for every address: this reveals no account.
  co_return Response::json(
      202, {{"detail", "If an account has this e-mail, a message with a reset link is on its way."}});
}

Task<Response> confirm_password_reset(RequestContext& ctx, const Accounts& accounts) {
  const auto token = ctx.body.string("token");
  const auto password = ctx.body.string("password");
  const std::string hash = co_await accounts.auth->hash_password(*password);
  const db::Session public_db(ctx.pool);
  db::Transaction tx = co_await public_db.begin();
  const MailLink link = co_await accounts.links.use(tx, LinkPurpose::kResetPassword, *token);
  // The new password revokes every token of the account (users_revoke_tokens), and following the link
  // proves the address: whoever registered it first loses the account to its real owner.
  auto changed = co_await tx.query(
      "UPDATE users SET password_hash = $2, email_verified_at = coalesce(email_verified_at, now()), "
      "updated_at = now() WHERE id = $1 AND email = $3 RETURNING id",
      link.user_id, hash, link.email);
  if (changed.empty()) throw http::BadRequest(kInvalidLink, "The account's e-mail has changed.");
  co_await tx.query(
      "UPDATE auth_links SET used_at = now() WHERE user_id = $1 AND purpose = 'reset-password' AND used_at "
      "IS "
      "NULL",
      link.user_id);
  co_await tx.commit();
  accounts.auth->forget_member_tokens(auth::UserId{*link.user_id}, std::nullopt);
  co_return Response::json(200, {{"email", link.email}, {"email_verified", true}});
}

Task<Response> show_invitation(RequestContext& ctx, const Accounts& accounts) {
  const std::string token = link_token(ctx);
  const db::Session public_db(ctx.pool);
  db::Transaction tx = co_await public_db.begin();
  const MailLink link = co_await accounts.links.peek(tx, LinkPurpose::kInvitation, token);
  auto store = co_await tx.query("SELECT name, schema_name FROM tenants WHERE id = $1", link.tenant_id);
  auto account = co_await tx.query("SELECT 1 FROM users WHERE email = $1", link.email);
  co_await tx.commit();
  co_return Response::json(
      200, {{"email", link.email},
            {"role", *link.role},
            {"store", {{"name", store.one().get<std::string>(0)}, {"slug", store.one().get<std::string>(1)}}},
            {"expires_at", db::format_rfc3339(db::Timestamp{std::chrono::seconds{link.expires_at}})},
            {"account_exists", !account.empty()}});
}

/// The account that accepts an invitation: the existing one, proven by its password, or a new one with
/// `password`. Either way it holds the invited address, which following the link verifies.
Task<std::int64_t> invitee_account(RequestContext& ctx, const Accounts& accounts, db::Transaction& tx,
                                   const std::string& email, const std::string& password,
                                   const std::string& display_name) {
  auto existing = co_await tx.query("SELECT 1 FROM users WHERE email = $1", email);
  if (!existing.empty()) {
    const std::vector<auth::ThrottleRule> none;
    const std::int64_t id = co_await authenticate_account(ctx, accounts, email, password, none);
    co_await tx.query("UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
                      id);
    co_return id;
  }
  if (static_cast<std::int64_t>(password.size()) < kMinPassword)
    throw http::Invalid("password", "Must be at least " + std::to_string(kMinPassword) + " characters.");
  const std::string hash = co_await accounts.auth->hash_password(password);
  co_return co_await insert_user(tx, email, hash, display_name, true);
}

Task<Response> accept_invitation(RequestContext& ctx, const Accounts& accounts) {
  const auto token = ctx.body.string("token");
  const auto password = ctx.body.string("password");
  const auto display_name = ctx.body.string("display_name");
  const db::Session public_db(ctx.pool);
  db::Transaction tx = co_await public_db.begin();
  const MailLink link = co_await accounts.links.use(tx, LinkPurpose::kInvitation, *token);
  // Serialise member changes of the store, so that the plan limit holds under concurrency.
  auto store = co_await tx.query("SELECT schema_name FROM tenants WHERE id = $1 FOR UPDATE", link.tenant_id);
  const db::SchemaName schema(store.one().get<std::string_view>(0));
  const tenancy::TenantCatalog catalog(ctx.pool);
  const tenancy::Tenant tenant = co_await catalog.get(schema);
  const std::int64_t user_id =
      co_await invitee_account(ctx, accounts, tx, link.email, *password, display_name.value_or(""));
  if (!(co_await tx.query("SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2", tenant.id,
                          user_id))
           .empty())
    throw http::Conflict(kAlreadyAMember, link.email + " is already a member of this store.");
  auto count = co_await tx.query("SELECT count(*) FROM memberships WHERE tenant_id = $1", tenant.id);
  check_plan_limit(ctx.config, tenant, PlanLimit::kMembers, count.one().get<std::int64_t>(0));
  co_await tx.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)", user_id,
                    tenant.id, *link.role);
  const std::string user_sql = std::string("SELECT ") + kUserColumns + " FROM users u WHERE u.id = $1";
  auto user = co_await tx.query(user_sql, user_id);
  co_await tx.commit();
  auto store_json = tenancy::to_json(tenant);
  co_return token_response(
      200, accounts.auth->issue(auth::UserId{user_id}, tenant.id.value, *auth::parse_role(*link.role)),
      {{"tenant", std::move(store_json)}, {"user", user_json(user.one())}, {"role", *link.role}});
}

}  // namespace

std::span<const web::ConstraintProblem> constraint_problems() {
  return kConstraintProblems;
}

void register_account_routes(web::Routes& routes, const std::shared_ptr<const Accounts>& accounts) {
  const Schema store_created = token_schema(
      {{"tenant", web::tenant_schema()}, {"user", user_schema()}, {"role", Schema::choice(role_names())}},
      "StoreCreated");
  const Schema& verified = email_verified_schema();
  const Schema token_body = Schema::object({{"token", token_text()}}).named("LinkToken");
  auto& r = routes.public_routes;
  r.describe_tag("accounts", "Signup, new stores of an account, e-mail verification and password resets.");
  r.describe_tag("members", "Invitations to a store, opened from the mailed link.");
  r.add("POST", "/api/signup", [accounts](RequestContext& ctx) { return signup(ctx, *accounts); },
        {.summary = "Create a store and its owner's account",
         .description = "Mails the owner a verification link. Throttled per client address.",
         .tags = {"accounts"},
         .operation_id = "signup",
         .body = store_request_schema(),
         .replies = {{201, store_created, "The store, its owner and the owner's token"}},
         .problems = {kAccountExists, kSlugTaken, http::problem_types::kTooManyRequests}});
  r.add("POST", "/api/stores", [accounts](RequestContext& ctx) { return new_store(ctx, *accounts); },
        {.summary = "Create a store for an existing account (its e-mail and password)",
         .tags = {"accounts"},
         .operation_id = "createStore",
         .body = store_request_schema(),
         .replies = {{201, store_created, "The store and the owner's token"}},
         .problems = {kInvalidCredentials, kSlugTaken, http::problem_types::kTooManyRequests}});
  r.add("GET", "/api/auth/verify-email",
        [accounts](RequestContext& ctx) { return verify_email(ctx, *accounts); },
        {.summary = "Confirm an e-mail address with the mailed link's token",
         .tags = {"accounts"},
         .operation_id = "verifyEmailLink",
         .query = {{"token", token_text(), "", true}},
         .replies = {{200, verified}},
         .problems = {kInvalidLink}});
  r.add("POST", "/api/auth/verify-email",
        [accounts](RequestContext& ctx) { return verify_email(ctx, *accounts); },
        {.summary = "Confirm an e-mail address with the mailed link's token",
         .tags = {"accounts"},
         .operation_id = "verifyEmail",
         .body = token_body,
         .replies = {{200, verified}},
         .problems = {kInvalidLink}});
  r.add("POST", "/api/auth/password-reset",
        [accounts](RequestContext& ctx) { return request_password_reset(ctx, *accounts); },
        {.summary = "Mail a password-reset link",
         .description = "The same answer whether or not an account has the address.",
         .tags = {"accounts"},
         .operation_id = "requestPasswordReset",
         .body = Schema::object({{"email", Schema::email()}}).named("PasswordResetRequest"),
         .replies = {{202, Schema::object({{"detail", Schema::string()}}).named("Accepted"),
                      "Mail on its way"}},
         .problems = {http::problem_types::kTooManyRequests}});
  r.add("POST", "/api/auth/password-reset/confirm",
        [accounts](RequestContext& ctx) { return confirm_password_reset(ctx, *accounts); },
        {.summary = "Set a new password with a reset link's token",
         .tags = {"accounts"},
         .operation_id = "confirmPasswordReset",
         .body = Schema::object({{"token", token_text()}, {"password", Schema::string(kMinPassword, 1024)}})
                     .named("PasswordReset"),
         .replies = {{200, verified}},
         .problems = {kInvalidLink}});
  r.add("GET", "/api/invitations/accept",
        [accounts](RequestContext& ctx) { return show_invitation(ctx, *accounts); },
        {.summary = "Show an invitation (its token)",
         .tags = {"members"},
         .operation_id = "showInvitation",
         .query = {{"token", token_text(), "", true}},
         .replies = {{200, Schema::object({{"email", Schema::email()},
                                           {"role", Schema::choice(role_names())},
                                           {"store", Schema::object({{"name", Schema::string()},
                                                                     {"slug", Schema::string()}})},
                                           {"expires_at", Schema::timestamp()},
                                           {"account_exists", Schema::boolean()}})
                               .named("InvitationPreview")}},
         .problems = {kInvalidLink}});
  r.add("POST", "/api/invitations/accept",
        [accounts](RequestContext& ctx) { return accept_invitation(ctx, *accounts); },
        {.summary = "Accept an invitation",
         .description = "With the existing account's password, or a new account's (at least 10 characters).",
         .tags = {"members"},
         .operation_id = "acceptInvitation",
         .body = Schema::object({{"token", token_text()},
                                 {"password", Schema::string(1, 1024)},
                                 {"display_name", Schema::line(0, 200), Presence::kOptional}})
                     .named("InvitationAcceptance"),
         .replies = {{200, store_created, "The membership's token"}},
         .problems = {kInvalidLink, kInvalidCredentials, kAlreadyAMember, kPlanLimitReached,
                      http::problem_types::kTooManyRequests}});
}

}  // namespace tenantry::apps::accounts

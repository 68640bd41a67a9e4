#include <boost/json.hpp>

#include "apps/accounts/account_flows.hpp"
#include "apps/accounts/account_problems.hpp"
#include "apps/accounts/accounts_app.hpp"
#include "apps/accounts/plans.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_json.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/web/pagination.hpp"
#include "tenantry/web/tenant_schema.hpp"

namespace tenantry::apps::accounts {

namespace {

using http::Response;
using web::Access;
using web::Presence;
using web::RequestContext;
using web::Schema;

Task<Response> login(RequestContext& ctx, const Accounts& accounts) {
  const auto email = ctx.body.string("email");
  const auto password = ctx.body.string("password");
  const auto rules = login_rules(ctx.config, ctx.request.remote_address, *email);
  co_await auth::throttle(ctx.public_db, rules);
  const std::string sql = std::string("SELECT ") + kUserColumns +
                          ", u.password_hash, u.is_disabled, m.role FROM public.users u "
                          "LEFT JOIN public.memberships m ON m.user_id = u.id AND m.tenant_id = $2 "
                          "WHERE u.email = $1";
  auto rows = co_await ctx.public_db.query(sql, *email, ctx.tenant->id);
  const bool known = !rows.empty();
  // A named hash, not a `?:` temporary in the co_await (the coroutine rule, tenantry/core/task.hpp).
  std::string hash = known ? rows.one().get<std::string>("password_hash") : std::string();
  const bool valid = co_await accounts.auth->verify_password(std::move(hash), *password);
  if (!known || !valid || rows.one().get<bool>("is_disabled")) invalid_credentials();
  auto role = rows.one().get<std::optional<std::string>>("role");
  if (!role) throw http::Forbidden(kNotAMember, "This account is not a member of this store.");
  co_return token_response(200,
                           accounts.auth->issue(rows.one().get<auth::UserId>("id"), ctx.tenant->id.value,
                                                *auth::parse_role(*role)),
                           {{"user", user_json(rows.one())}, {"role", *role}});
}

Task<Response> me(RequestContext& ctx) {
  const auth::Principal& who = ctx.who();
  const std::string sql =
      std::string("SELECT ") + kUserColumns + " FROM public.users u WHERE u.id = $1 AND NOT u.is_disabled";
  auto rows = co_await ctx.public_db.query(sql, who.user_id);
  if (rows.empty()) throw http::Unauthorized("This account no longer exists.");
  auto tenant = tenancy::to_json(*ctx.tenant);
  tenant.erase("settings");
  auto user = user_json(rows.one());
  const bool verified = user["email_verified"].as_bool();
  co_return Response::json(
      200, {{"user", std::move(user)},
            {"email_verified", verified},
            {"role", to_string(who.role)},
            {"tenant", std::move(tenant)},
            {"token_expires_at", db::format_rfc3339(db::Timestamp{std::chrono::seconds{who.expires_at}})}});
}

Task<Response> resend_verification(RequestContext& ctx, const Accounts& accounts) {
  const auth::Principal& who = ctx.who();
  auto rows = co_await ctx.public_db.query(
      "SELECT email, email_verified_at IS NOT NULL FROM public.users WHERE id = $1", who.user_id);
  if (rows.empty()) throw http::Unauthorized("This account no longer exists.");
  const std::string email = rows.one().get<std::string>(0);
  if (rows.one().get<bool>(1)) co_return Response::json(200, {{"email", email}, {"email_verified", true}});
  const auto rules = mail_rules(ctx.config, ctx.request.remote_address, email);
  co_await auth::throttle(ctx.public_db, rules);
  db::Transaction tx = co_await ctx.public_db.begin();
  LinkMail verification = co_await verification_mail(tx, accounts, ctx.config, who.user_id.value, email);
  co_await tx.commit();
  accounts.mailer->send(std::move(verification.message));
  co_return Response::json(202, {{"email", email}, {"email_verified", false}});
}

constexpr const char* kMemberColumns =
    "SELECT u.id, u.email, u.display_name, m.role, m.created_at FROM public.memberships m "
    "JOIN public.users u ON u.id = m.user_id ";

boost::json::object member_json(const db::Row& row) {
  return {{"user_id", row.get<std::int64_t>(0)},
          {"email", row.get<std::string>(1)},
          {"display_name", row.get<std::string>(2)},
          {"role", row.get<std::string>(3)},
          {"created_at", row.get<db::Rfc3339>(4).text}};
}

/// The member's role, with the store's row locked so that member changes of one store are serialised; 404
/// when the user is no member.
Task<std::string> locked_role(db::Transaction& tx, std::int64_t tenant_id, std::int64_t user_id) {
  co_await tx.query("SELECT 1 FROM public.tenants WHERE id = $1 FOR UPDATE", tenant_id);
  auto current = co_await tx.query(
      "SELECT role FROM public.memberships WHERE tenant_id = $1 AND user_id = $2", tenant_id, user_id);
  if (current.empty()) throw http::NotFound("No such member.");
  co_return current.one().get<std::string>(0);
}

/// Refuses a change that would leave the store without an owner.
Task<void> keep_an_owner(db::Transaction& tx, std::int64_t tenant_id, std::int64_t user_id) {
  auto owners = co_await tx.query(
      "SELECT count(*) FILTER (WHERE user_id <> $2) FROM public.memberships WHERE tenant_id = $1 AND role = "
      "'owner'",
      tenant_id, user_id);
  if (owners.one().get<std::int64_t>(0) == 0)
    throw http::Conflict(kLastOwner, "A store must keep at least one owner.");
}

/// Mails an invitation; nobody joins until the holder of the address accepts it. The answer is the same
/// whether the address has an account or not.
Task<Response> invite_member(RequestContext& ctx, const Accounts& accounts) {
  const auth::Principal& who = ctx.who();
  const auto email = ctx.body.string("email");
  const auto role = ctx.body.string("role");
  if (*role == "owner" && who.role != auth::Role::kOwner)
    throw http::Forbidden("Only an owner can invite owners.");
  const auto rules = mail_rules(ctx.config, ctx.request.remote_address, *email);
  co_await auth::throttle(ctx.public_db, rules);
  db::Transaction tx = co_await ctx.public_db.begin();
  // Serialise member changes of one store so that the plan limit holds under concurrency.
  co_await tx.query("SELECT 1 FROM public.tenants WHERE id = $1 FOR UPDATE", ctx.tenant->id);
  if (!(co_await tx.query("SELECT 1 FROM public.memberships m JOIN public.users u ON u.id = m.user_id "
                          "WHERE m.tenant_id = $1 AND u.email = $2",
                          ctx.tenant->id, *email))
           .empty())
    throw http::Conflict(kAlreadyAMember, *email + " is already a member of this store.");
  auto count =
      co_await tx.query("SELECT count(*) FROM public.memberships WHERE tenant_id = $1", ctx.tenant->id);
  check_plan_limit(ctx.config, *ctx.tenant, PlanLimit::kMembers, count.one().get<std::int64_t>(0));
  const Invitation invitation{.email = *email,
                              .role = *role,
                              .tenant_id = ctx.tenant->id.value,
                              .store_name = ctx.tenant->name,
                              .invited_by = who.user_id.value};
  LinkMail sent = co_await invitation_mail(tx, accounts, ctx.config, invitation);
  co_await tx.commit();
  accounts.mailer->send(std::move(sent.message));
  co_return Response::json(202, {{"id", sent.link.id},
                                 {"email", *email},
                                 {"role", *role},
                                 {"expires_at", sent.link.expires_at},
                                 {"status", "invited"}});
}

Task<Response> list_invitations(RequestContext& ctx) {
  const auto page = web::Page::from(ctx.query);
  const std::string where =
      " FROM public.auth_links WHERE purpose = 'invitation' AND tenant_id = $1 AND used_at IS NULL AND "
      "expires_at > now()";
  const std::string count_sql = "SELECT count(*)" + where;
  const std::string rows_sql =
      "SELECT id, email, role, created_at, expires_at" + where + " ORDER BY id LIMIT $2 OFFSET $3";
  auto count = co_await ctx.public_db.query(count_sql, ctx.tenant->id);
  auto rows = co_await ctx.public_db.query(rows_sql, ctx.tenant->id, page.limit, page.offset);
  boost::json::array results;
  for (auto row : rows)
    results.push_back({{"id", row.get<std::int64_t>(0)},
                       {"email", row.get<std::string>(1)},
                       {"role", row.get<std::string>(2)},
                       {"created_at", row.get<db::Rfc3339>(3).text},
                       {"expires_at", row.get<db::Rfc3339>(4).text}});
  co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
}

}  // namespace

Task<std::int64_t> ensure_user(db::Session& db, auth::AuthService& auth, std::string email,
                               std::string password, std::string display_name) {
  auto existing = co_await db.query("SELECT id FROM public.users WHERE email = $1", email);
  if (!existing.empty()) co_return existing.one().get<std::int64_t>(0);
  const std::string hash = co_await auth.hash_password(std::move(password));
  // Seeded accounts (demo, tests) count as verified.
  auto row = co_await db.query(
      "INSERT INTO public.users (email, password_hash, display_name, email_verified_at) "
      "VALUES ($1, $2, $3, now()) RETURNING id",
      email, hash, display_name);
  co_return row.one().get<std::int64_t>(0);
}

void register_routes(web::Routes& routes, std::shared_ptr<auth::AuthService> auth,
                     std::shared_ptr<mail::Mailer> mailer, const migrations::MigrationPlan& tenant_plan) {
  const auto accounts = std::make_shared<const Accounts>(Accounts{auth, std::move(mailer), tenant_plan});
  routes.on_start.push_back([auth](db::Pool& pool) { return auth->load(pool); });
  routes.watchers.push_back(
      [auth](boost::asio::io_context& io, db::Pool& pool) { return auth->watch(io, pool); });
  routes.watchers.push_back(
      [auth](boost::asio::io_context& io, db::Pool& pool) { return housekeeping(io, pool, auth->config()); });
  register_account_routes(routes, accounts);

  const Schema login_reply =
      token_schema({{"user", user_schema()}, {"role", Schema::choice(role_names())}}, "Login");
  const Schema& verification = email_verified_schema();
  // What member_json shows; only the role is written.
  const Schema member = Schema::object({{"user_id", Schema::integer(1), Presence::kReadOnly},
                                        {"email", Schema::email(), Presence::kReadOnly},
                                        {"display_name", Schema::string(0, 200), Presence::kReadOnly},
                                        {"role", Schema::choice(role_names())},
                                        {"created_at", Schema::timestamp(), Presence::kReadOnly}})
                            .describe("A member of this store: an account and its role here.")
                            .named("Member");
  const std::vector<web::Parameter> user_id{
      {"user_id", Schema::integer(0).example(1), "The member's user id."}};
  const auto admin = Access::at_least(auth::Role::kAdmin);
  auto& t = routes.tenant_routes;
  t.describe_tag("accounts", "Logging in to this store, and the account logged in.");
  t.describe_tag("members", "The store's members, their roles and invitations.");
  t.add("POST", "/api/auth/login", [accounts](RequestContext& ctx) { return login(ctx, *accounts); },
        {.summary = "Log in to this store",
         .tags = {"accounts"},
         .operation_id = "login",
         .body = credentials_schema(),
         .replies = {{200, login_reply, "A token for this store"}},
         .problems = {kInvalidCredentials, kNotAMember, http::problem_types::kTooManyRequests}});
  t.add("POST", "/api/auth/resend-verification",
        [accounts](RequestContext& ctx) { return resend_verification(ctx, *accounts); },
        {.summary = "Mail a new e-mail verification link",
         .tags = {"accounts"},
         .operation_id = "resendVerification",
         .access = Access::signed_in(),
         .replies = {{200, verification, "Already verified"}, {202, verification, "Mail on its way"}},
         .problems = {http::problem_types::kTooManyRequests}});
  t.add("POST", "/api/auth/logout",
        [auth](RequestContext& ctx) -> Task<Response> {
          co_await auth->revoke_token(ctx.public_db, ctx.who());
          co_return Response::empty(204);
        },
        {.summary = "Revoke the token used",
         .tags = {"accounts"},
         .operation_id = "logout",
         .access = Access::signed_in(),
         .replies = {{204, std::nullopt, "Revoked"}}});
  t.add("GET", "/api/me", me,
        {.summary = "The current user and role here",
         .tags = {"accounts"},
         .operation_id = "getMe",
         .access = Access::signed_in(),
         .replies = {{200, Schema::object({{"user", user_schema()},
                                           {"email_verified", Schema::boolean()},
                                           {"role", Schema::choice(role_names())},
                                           {"tenant", web::tenant_schema()},
                                           {"token_expires_at", Schema::timestamp()}})
                               .named("Me")}}});

  t.add("GET", "/api/members",
        [](RequestContext& ctx) -> Task<Response> {
          const auto page = web::Page::from(ctx.query);
          auto count = co_await ctx.public_db.query(
              "SELECT count(*) FROM public.memberships WHERE tenant_id = $1", ctx.tenant->id);
          static const std::string sql =
              std::string(kMemberColumns) +
              "WHERE m.tenant_id = $1 ORDER BY m.created_at, u.id LIMIT $2 OFFSET $3";
          auto rows = co_await ctx.public_db.query(sql, ctx.tenant->id, page.limit, page.offset);
          boost::json::array results;
          for (auto row : rows) results.push_back(member_json(row));
          co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
        },
        {.summary = "List members",
         .tags = {"members"},
         .operation_id = "listMembers",
         .access = admin,
         .page_of = member});
  t.add("POST", "/api/members", [accounts](RequestContext& ctx) { return invite_member(ctx, *accounts); },
        {.summary = "Invite a member by e-mail (they accept through the mailed link)",
         .description = "Only an owner invites owners.",
         .tags = {"members"},
         .operation_id = "inviteMember",
         .access = admin,
         .body = Schema::object({{"email", Schema::email()}, {"role", Schema::choice(role_names())}})
                     .named("InvitationRequest"),
         .replies = {{202,
                      Schema::object({{"id", Schema::integer(1)},
                                      {"email", Schema::email()},
                                      {"role", Schema::choice(role_names())},
                                      {"expires_at", Schema::timestamp()},
                                      {"status", Schema::choice({"invited"})}})
                          .named("InvitationSent"),
                      "Invitation mailed"}},
         .problems = {kAlreadyAMember, kPlanLimitReached, http::problem_types::kTooManyRequests}});
  t.add("GET", "/api/invitations", list_invitations,
        {.summary = "Pending invitations",
         .tags = {"members"},
         .operation_id = "listInvitations",
         .access = admin,
         .page_of = Schema::object({{"id", Schema::integer(1)},
                                    {"email", Schema::email()},
                                    {"role", Schema::choice(role_names())},
                                    {"created_at", Schema::timestamp()},
                                    {"expires_at", Schema::timestamp()}})
                        .named("Invitation")});
  t.add("DELETE", "/api/invitations/{id:int}",
        [](RequestContext& ctx) -> Task<Response> {
          auto revoked = co_await ctx.public_db.query(
              "UPDATE public.auth_links SET used_at = now() WHERE id = $1 AND tenant_id = $2 AND purpose = "
              "'invitation' AND used_at IS NULL AND expires_at > now() RETURNING id",
              *ctx.params.get_int("id"), ctx.tenant->id);
          if (revoked.empty()) throw http::NotFound("No pending invitation with this id.");
          co_return Response::empty(204);
        },
        {.summary = "Withdraw an invitation",
         .tags = {"members"},
         .operation_id = "withdrawInvitation",
         .access = admin,
         .path = {{"id", Schema::integer(0).example(1), "The invitation's id."}},
         .replies = {{204, std::nullopt, "Withdrawn"}}});
  t.add("PATCH", "/api/members/{user_id:int}",
        [auth](RequestContext& ctx) -> Task<Response> {
          const auth::Principal& who = ctx.who();
          const auto user_id = *ctx.params.get_int("user_id");
          const auto role = ctx.body.string("role");
          db::Transaction tx = co_await ctx.public_db.begin();
          const std::string before = co_await locked_role(tx, ctx.tenant->id.value, user_id);
          if ((before == "owner" || *role == "owner") && who.role != auth::Role::kOwner)
            throw http::Forbidden("Only an owner can grant or take the owner role.");
          if (before == "owner" && *role != "owner")
            co_await keep_an_owner(tx, ctx.tenant->id.value, user_id);
          co_await tx.query("UPDATE public.memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
                            ctx.tenant->id, user_id, *role);
          static const std::string sql =
              std::string(kMemberColumns) + "WHERE m.tenant_id = $1 AND m.user_id = $2";
          auto row = co_await tx.query(sql, ctx.tenant->id, user_id);
          co_await tx.commit();
          // Tokens carry the role: the member logs in again to get the new one (memberships_revoke_tokens).
          if (before != *role) auth->forget_member_tokens(auth::UserId{user_id}, ctx.tenant->id.value);
          co_return Response::json(200, member_json(row.one()));
        },
        {.summary = "Change a member's role",
         .description = "Only an owner grants or takes the owner role; a store keeps at least one owner.",
         .tags = {"members"},
         .operation_id = "updateMember",
         .access = admin,
         .path = user_id,
         .body = member.for_write(web::Write::kReplace, "MemberPatch"),  // the role is required
         .replies = {{200, member}},
         .problems = {kLastOwner}});
  t.add("DELETE", "/api/members/{user_id:int}",
        [auth](RequestContext& ctx) -> Task<Response> {
          const auth::Principal& who = ctx.who();
          const auto user_id = *ctx.params.get_int("user_id");
          db::Transaction tx = co_await ctx.public_db.begin();
          const std::string before = co_await locked_role(tx, ctx.tenant->id.value, user_id);
          if (before == "owner") {
            if (who.role != auth::Role::kOwner) throw http::Forbidden("Only an owner can remove an owner.");
            co_await keep_an_owner(tx, ctx.tenant->id.value, user_id);
          }
          co_await tx.query("DELETE FROM public.memberships WHERE tenant_id = $1 AND user_id = $2",
                            ctx.tenant->id, user_id);
          co_await tx.commit();
          auth->forget_member_tokens(auth::UserId{user_id}, ctx.tenant->id.value);
          co_return Response::empty(204);
        },
        {.summary = "Remove a member",
         .tags = {"members"},
         .operation_id = "removeMember",
         .access = admin,
         .path = user_id,
         .replies = {{204, std::nullopt, "Removed"}},
         .problems = {kLastOwner}});
}

}  // namespace tenantry::apps::accounts

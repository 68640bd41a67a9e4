#include <boost/json.hpp>

#include "apps/accounts/accounts_app.hpp"
#include "apps/accounts/plans.hpp"
#include "tenantry/db/errors.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/tenancy/tenant_directory.hpp"
#include "tenantry/tenancy/tenant_json.hpp"
#include "tenantry/tenancy/tenant_provisioner.hpp"
#include "tenantry/web/json_input.hpp"
#include "tenantry/web/pagination.hpp"

namespace tenantry::apps::accounts {

namespace {

using http::Response;
using web::JsonInput;
using web::RequestContext;

constexpr std::int64_t kMinPassword = 10;

boost::json::object user_json(const db::Row& row) {
  return {{"id", row.get<std::int64_t>("id")},
          {"email", row.get<std::string>("email")},
          {"display_name", row.get<std::string>("display_name")}};
}

Response token_response(int status, const IssuedToken& token, boost::json::object extra) {
  extra["token"] = token.token;
  extra["token_type"] = "Bearer";
  extra["expires_at"] = token.expires_at;
  return Response::json(status, extra);
}

[[noreturn]] void invalid_credentials() {
  web::fail(401, "invalid-credentials", "Invalid credentials", "The e-mail or password is wrong.");
}

Task<Response> signup(RequestContext& ctx, AuthService& auth, const migrations::MigrationPlan& plan) {
  JsonInput in(ctx.request);
  in.only({"name", "slug", "email", "password"});
  auto name = in.string("name", {.required = true, .min = 1, .max = 200});
  auto slug = in.string("slug", {.required = true, .min = 1});
  auto email = in.email("email", {.required = true});
  auto password = in.string("password", {.required = true, .min = kMinPassword, .max = 1024});
  if (slug)
    if (auto why = tenancy::SchemaName::why_invalid(*slug); !why.empty())
      in.error("slug", "Invalid slug: " + why + ".");
  in.finish();

  const tenancy::SchemaName schema(*slug);
  const db::Session public_db(ctx.pool);
  // A row left in provisioning or failed by an interrupted attempt is taken over by the provisioner.
  if (!(co_await public_db.query(
            "SELECT 1 FROM tenants WHERE schema_name = $1 AND state NOT IN ('provisioning', 'failed')",
            schema))
           .empty())
    web::fail(409, "slug-taken", "Slug taken", "The store slug '" + *slug + "' is taken.");

  // An existing account proves its password; a new one gets a hash. Both before the store exists.
  auto existing = co_await public_db.query("SELECT id, password_hash FROM users WHERE email = $1", *email);
  std::optional<std::int64_t> user_id;
  std::string hash;
  if (!existing.empty()) {
    if (!co_await auth.verify_password(existing.one().get<std::string>(1), *password))
      web::fail(401, "invalid-credentials", "Invalid credentials",
                "An account with this e-mail exists and the password does not match it.");
    user_id = existing.one().get<std::int64_t>(0);
  } else {
    hash = co_await auth.hash_password(*password);
  }

  tenancy::NewTenant request{schema, *name, {}, "free"};
  request.domains.push_back(tenancy::default_domain(schema, ctx.config.tenancy.base_domain));
  tenancy::TenantProvisioner provisioner(ctx.pool, plan);
  tenancy::Tenant tenant = co_await provisioner.create(request);
  bool failed = false;
  try {
    db::Transaction tx = co_await public_db.begin();
    if (!user_id)
      user_id = (co_await tx.query("INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id",
                                   *email, hash))
                    .one()
                    .get<std::int64_t>(0);
    co_await tx.query("INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, 'owner')", *user_id,
                      tenant.id);
    co_await tx.commit();
  } catch (const db::Error&) {
    failed = true;  // e.g. the same e-mail signing up twice at once
  }
  if (failed) {
    co_await provisioner.drop(schema);
    web::fail(409, "signup-conflict", "Signup conflict",
              "Another signup with this e-mail happened at the same time.");
  }
  co_await ctx.tenants.load(ctx.pool);  // served by this process at once
  auto user = co_await public_db.query("SELECT id, email, display_name FROM users WHERE id = $1", *user_id);
  co_return token_response(
      201, auth.issue(*user_id, tenant.id.value, Role::kOwner),
      {{"tenant", tenancy::to_json(tenant)}, {"user", user_json(user.one())}, {"role", "owner"}});
}

Task<Response> login(RequestContext& ctx, AuthService& auth) {
  JsonInput in(ctx.request);
  auto email = in.string("email", {.required = true, .min = 1, .max = 254});
  auto password = in.string("password", {.required = true, .min = 1, .max = 1024});
  in.finish();
  for (char& c : *email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto wait = auth.login_throttled(ctx.request.remote_address, *email)) {
    http::Problem p{.type = "too-many-attempts",
                    .title = "Too many login attempts",
                    .status = 429,
                    .detail = "Try again in " + std::to_string(*wait) + " s."};
    auto response = http::to_response(p);
    response.add_header("Retry-After", std::to_string(*wait));
    co_return response;
  }
  auto rows = co_await ctx.db.query(
      "SELECT u.id, u.email, u.display_name, u.password_hash, u.is_disabled, m.role FROM public.users u "
      "LEFT JOIN public.memberships m ON m.user_id = u.id AND m.tenant_id = $2 WHERE u.email = $1",
      *email, ctx.tenant->id);
  const bool known = !rows.empty();
  // A named hash: GCC 12 destroys a `?:` temporary inside a co_await expression twice.
  std::string hash = known ? rows.one().get<std::string>(3) : std::string();
  const bool valid = co_await auth.verify_password(std::move(hash), *password);
  if (!known || !valid || rows.one().get<bool>(4)) invalid_credentials();
  auto role = rows.one().get<std::optional<std::string>>(5);
  if (!role) web::fail(403, "not-a-member", "Not a member", "This account is not a member of this store.");
  co_return token_response(
      200, auth.issue(rows.one().get<std::int64_t>(0), ctx.tenant->id.value, *parse_role(*role)),
      {{"user", user_json(rows.one())}, {"role", *role}});
}

Task<Response> me(RequestContext& ctx, AuthService& auth) {
  const Principal who = auth.authenticate(ctx);
  auto rows = co_await ctx.db.query(
      "SELECT id, email, display_name FROM public.users WHERE id = $1 AND NOT is_disabled", who.user_id);
  if (rows.empty())
    web::fail(401, "not-authenticated", "Not authenticated", "This account no longer exists.");
  auto tenant = tenancy::to_json(*ctx.tenant);
  tenant.erase("settings");
  co_return Response::json(200, {{"user", user_json(rows.one())},
                                 {"role", to_string(who.role)},
                                 {"tenant", std::move(tenant)},
                                 {"token_expires_at", who.expires_at}});
}

constexpr const char* kMemberColumns =
    "SELECT u.id, u.email, u.display_name, m.role, m.created_at::text FROM public.memberships m "
    "JOIN public.users u ON u.id = m.user_id ";

boost::json::object member_json(const db::Row& row) {
  return {{"user_id", row.get<std::int64_t>(0)},
          {"email", row.get<std::string>(1)},
          {"display_name", row.get<std::string>(2)},
          {"role", row.get<std::string>(3)},
          {"created_at", row.get<std::string>(4)}};
}

/// The member's role, with the store's row locked so that member changes of one store are serialised; 404
/// when the user is no member.
Task<std::string> locked_role(db::Transaction& tx, std::int64_t tenant_id, std::int64_t user_id) {
  co_await tx.query("SELECT 1 FROM public.tenants WHERE id = $1 FOR UPDATE", tenant_id);
  auto current = co_await tx.query(
      "SELECT role FROM public.memberships WHERE tenant_id = $1 AND user_id = $2", tenant_id, user_id);
  if (current.empty()) web::fail(404, "not-found", "Not found", "No such member.");
  co_return current.one().get<std::string>(0);
}

/// Refuses a change that would leave the store without an owner.
Task<void> keep_an_owner(db::Transaction& tx, std::int64_t tenant_id, std::int64_t user_id) {
  auto owners = co_await tx.query(
      "SELECT count(*) FILTER (WHERE user_id <> $2) FROM public.memberships WHERE tenant_id = $1 AND role = "
      "'owner'",
      tenant_id, user_id);
  if (owners.one().get<std::int64_t>(0) == 0)
    web::fail(409, "last-owner", "Last owner", "A store must keep at least one owner.");
}

}  // namespace

Task<std::int64_t> ensure_user(db::Session& db, AuthService& auth, std::string email, std::string password,
                               std::string display_name) {
  auto existing = co_await db.query("SELECT id FROM public.users WHERE email = $1", email);
  if (!existing.empty()) co_return existing.one().get<std::int64_t>(0);
  const std::string hash = co_await auth.hash_password(std::move(password));
  co_return (
      co_await db.query(
          "INSERT INTO public.users (email, password_hash, display_name) VALUES ($1, $2, $3) RETURNING id",
          email, hash, display_name))
      .one()
      .get<std::int64_t>(0);
}

void register_routes(web::Routes& routes, std::shared_ptr<AuthService> auth,
                     const migrations::MigrationPlan& tenant_plan) {
  routes.on_start.push_back([auth](db::Pool& pool) { return auth->load(pool); });
  routes.watchers.push_back(
      [auth](boost::asio::io_context& io, db::Pool& pool) { return auth->watch(io, pool); });

  routes.public_routes.add(
      "POST", "/api/signup",
      [auth, &tenant_plan](RequestContext& ctx) { return signup(ctx, *auth, tenant_plan); },
      {.summary = "Create a store and its owner", .tags = {"accounts"}});
  auto& t = routes.tenant_routes;
  t.add("POST", "/api/auth/login", [auth](RequestContext& ctx) { return login(ctx, *auth); },
        {.summary = "Log in to this store", .tags = {"accounts"}});
  t.add("POST", "/api/auth/logout",
        [auth](RequestContext& ctx) -> Task<Response> {
          const Principal who = auth->authenticate(ctx);
          co_await auth->revoke_token(ctx.db, who);
          co_return Response::empty(204);
        },
        {.summary = "Revoke the token used", .tags = {"accounts"}});
  t.add("GET", "/api/me", [auth](RequestContext& ctx) { return me(ctx, *auth); },
        {.summary = "The current user and role here", .tags = {"accounts"}});

  t.add("GET", "/api/members",
        [auth](RequestContext& ctx) -> Task<Response> {
          auth->require(ctx, Role::kAdmin);
          const auto page = web::Page::from(ctx.request);
          auto count = co_await ctx.db.query("SELECT count(*) FROM public.memberships WHERE tenant_id = $1",
                                             ctx.tenant->id);
          auto rows = co_await ctx.db.query(
              std::string(kMemberColumns) +
                  "WHERE m.tenant_id = $1 ORDER BY m.created_at, u.id LIMIT $2 OFFSET $3",
              ctx.tenant->id, page.limit, page.offset);
          boost::json::array results;
          for (auto row : rows) results.push_back(member_json(row));
          co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
        },
        {.summary = "List members", .tags = {"members"}});
  t.add("POST", "/api/members",
        [auth](RequestContext& ctx) -> Task<Response> {
          const Principal who = auth->require(ctx, Role::kAdmin);
          JsonInput in(ctx.request);
          in.only({"email", "role"});
          auto email = in.email("email", {.required = true});
          auto role = in.choice("role", {"owner", "admin", "staff", "viewer"}, {.required = true});
          in.finish();
          if (*role == "owner" && who.role != Role::kOwner)
            web::fail(403, "permission-denied", "Permission denied", "Only an owner can add owners.");
          db::Transaction tx = co_await ctx.db.begin();
          // Serialise member changes of one store so that the plan limit holds under concurrency.
          co_await tx.query("SELECT 1 FROM public.tenants WHERE id = $1 FOR UPDATE", ctx.tenant->id);
          auto user = co_await tx.query("SELECT id FROM public.users WHERE email = $1", *email);
          if (user.empty())
            throw http::ProblemError(
                web::validation_problem({{"email", "No account has this e-mail; they must sign up first."}}));
          const auto user_id = user.one().get<std::int64_t>(0);
          auto count = co_await tx.query("SELECT count(*) FROM public.memberships WHERE tenant_id = $1",
                                         ctx.tenant->id);
          if (!(co_await tx.query("SELECT 1 FROM public.memberships WHERE tenant_id = $1 AND user_id = $2",
                                  ctx.tenant->id, user_id))
                   .empty())
            web::fail(409, "already-a-member", "Already a member",
                      *email + " is already a member of this store.");
          check_plan_limit(ctx.config, *ctx.tenant, PlanLimit::kMembers, count.one().get<std::int64_t>(0));
          co_await tx.query("INSERT INTO public.memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)",
                            user_id, ctx.tenant->id, *role);
          auto row =
              co_await tx.query(std::string(kMemberColumns) + "WHERE m.tenant_id = $1 AND m.user_id = $2",
                                ctx.tenant->id, user_id);
          co_await tx.commit();
          co_return Response::json(201, member_json(row.one()));
        },
        {.summary = "Add an existing user as a member", .tags = {"members"}});
  t.add("PATCH", "/api/members/{user_id:int}",
        [auth](RequestContext& ctx) -> Task<Response> {
          const Principal who = auth->require(ctx, Role::kAdmin);
          const auto user_id = *ctx.params.get_int("user_id");
          JsonInput in(ctx.request);
          in.only({"role"});
          auto role = in.choice("role", {"owner", "admin", "staff", "viewer"}, {.required = true});
          in.finish();
          db::Transaction tx = co_await ctx.db.begin();
          const std::string before = co_await locked_role(tx, ctx.tenant->id.value, user_id);
          if ((before == "owner" || *role == "owner") && who.role != Role::kOwner)
            web::fail(403, "permission-denied", "Permission denied",
                      "Only an owner can grant or take the owner role.");
          if (before == "owner" && *role != "owner")
            co_await keep_an_owner(tx, ctx.tenant->id.value, user_id);
          co_await tx.query("UPDATE public.memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
                            ctx.tenant->id, user_id, *role);
          auto row =
              co_await tx.query(std::string(kMemberColumns) + "WHERE m.tenant_id = $1 AND m.user_id = $2",
                                ctx.tenant->id, user_id);
          co_await tx.commit();
          // Tokens carry the role: the member logs in again to get the new one.
          if (before != *role) co_await auth->revoke_member(ctx.db, user_id, ctx.tenant->id.value);
          co_return Response::json(200, member_json(row.one()));
        },
        {.summary = "Change a member's role", .tags = {"members"}});
  t.add("DELETE", "/api/members/{user_id:int}",
        [auth](RequestContext& ctx) -> Task<Response> {
          const Principal who = auth->require(ctx, Role::kAdmin);
          const auto user_id = *ctx.params.get_int("user_id");
          db::Transaction tx = co_await ctx.db.begin();
          const std::string before = co_await locked_role(tx, ctx.tenant->id.value, user_id);
          if (before == "owner") {
            if (who.role != Role::kOwner)
              web::fail(403, "permission-denied", "Permission denied", "Only an owner can remove an owner.");
            co_await keep_an_owner(tx, ctx.tenant->id.value, user_id);
          }
          co_await tx.query("DELETE FROM public.memberships WHERE tenant_id = $1 AND user_id = $2",
                            ctx.tenant->id, user_id);
          co_await tx.commit();
          co_await auth->revoke_member(ctx.db, user_id, ctx.tenant->id.value);
          co_return Response::empty(204);
        },
        {.summary = "Remove a member", .tags = {"members"}});
}

}  // namespace tenantry::apps::accounts

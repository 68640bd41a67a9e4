// /admin/api/users: the platform's accounts. Disabling an account or taking its platform-admin right revokes
// its tokens at once on every server process (the users_revoke_tokens trigger, then NOTIFY).
#include <boost/json.hpp>

#include "apps/admin/audit.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/pagination.hpp"

namespace tenantry::apps::admin {

namespace {

using auth::Principal;
using http::Response;
using web::RequestContext;
using web::Schema;

constexpr http::ProblemType<409> kCannotDemoteSelf{"cannot-demote-self", "Cannot lock yourself out"};

constexpr const char* kUserColumns =
    "SELECT id, email, display_name, is_disabled, is_platform_admin, email_verified_at IS NOT NULL, "
    "(SELECT count(*) FROM memberships m WHERE m.user_id = users.id) FROM users ";

boost::json::object user_json(const db::Row& row) {
  return {{"id", row.get<std::int64_t>(0)},          {"email", row.get<std::string>(1)},
          {"display_name", row.get<std::string>(2)}, {"disabled", row.get<bool>(3)},
          {"platform_admin", row.get<bool>(4)},      {"email_verified", row.get<bool>(5)},
          {"store_count", row.get<std::int64_t>(6)}};
}

Task<Response> list_users(RequestContext& ctx) {
  const auto page = web::Page::from(ctx.query);
  const auto q = ctx.query.string("q");
  const std::string where = " WHERE ($1::text IS NULL OR email ILIKE '%' || $1 || '%')";
  const db::Session public_db(ctx.pool);
  const std::string count_sql = "SELECT count(*) FROM users" + where;
  const std::string rows_sql = std::string(kUserColumns) + where + " ORDER BY id LIMIT $2 OFFSET $3";
  auto count = co_await public_db.query(count_sql, q);
  auto rows = co_await public_db.query(rows_sql, q, page.limit, page.offset);
  boost::json::array results;
  for (auto row : rows) results.push_back(user_json(row));
  co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
}

Task<Response> change_user(RequestContext& ctx, const Principal& who, std::int64_t id,
                           const std::optional<bool>& disabled, const std::optional<bool>& platform_admin,
                           auth::AuthService& auth) {
  if (auth::UserId{id} == who.user_id && (disabled.value_or(false) || !platform_admin.value_or(true)))
    throw http::Conflict(kCannotDemoteSelf,
                         "Another platform admin must disable you or take your platform-admin right.");
  const db::Session public_db(ctx.pool);
  auto changed = co_await public_db.query(
      "UPDATE users SET is_disabled = coalesce($2, is_disabled), is_platform_admin = coalesce($3, "
      "is_platform_admin), updated_at = now() WHERE id = $1 RETURNING id",
      id, disabled, platform_admin);
  if (changed.empty()) throw http::NotFound("No user with this id.");
  // Refused here at once; other processes follow on the trigger's NOTIFY.
  if (disabled.value_or(false)) auth.forget_member_tokens(auth::UserId{id}, std::nullopt);
  if (!platform_admin.value_or(true)) auth.forget_member_tokens(auth::UserId{id}, 0);
  static const std::string user_sql = std::string(kUserColumns) + "WHERE id = $1";
  auto row = co_await public_db.query(user_sql, id);
  co_return Response::json(200, user_json(row.one()));
}

}  // namespace

void register_user_routes(web::RouteTable& r, std::shared_ptr<auth::AuthService> auth) {
  const Schema user = Schema::object({{"id", Schema::integer(1)},
                                      {"email", Schema::email()},
                                      {"display_name", Schema::string(0, 200)},
                                      {"disabled", Schema::boolean()},
                                      {"platform_admin", Schema::boolean()},
                                      {"email_verified", Schema::boolean()},
                                      {"store_count", Schema::integer(0)}})
                          .describe("An account of the platform, as its admins see it.")
                          .named("PlatformUser");
  r.add("GET", "/admin/api/users", list_users,
        {.summary = "List users",
         .tags = {"admin"},
         .operation_id = "adminListUsers",
         .access = web::Access::platform_admin(),
         .query = {{"q", Schema::string(0, 200), "Text in the e-mail."}},
         .page_of = user});
  audited_route(r, "PATCH", "/admin/api/users/{id:int}", "user.update",
                [auth](RequestContext& ctx, const Principal& who) -> Task<AuditedWork> {
                  const auto id = *ctx.params.get_int("id");
                  const auto disabled = ctx.body.boolean("disabled");
                  const auto platform_admin = ctx.body.boolean("platform_admin");
                  boost::json::object detail{
                      {"user_id", id},
                      {"disabled", disabled ? boost::json::value(*disabled) : nullptr},
                      {"platform_admin", platform_admin ? boost::json::value(*platform_admin) : nullptr}};
                  co_return AuditedWork{
                      {}, std::move(detail), [&ctx, who, id, disabled, platform_admin, auth]() {
                        return change_user(ctx, who, id, disabled, platform_admin, *auth);
                      }};
                },
                {.summary = "Disable or enable a user, grant or take platform-admin rights",
                 .tags = {"admin"},
                 .operation_id = "adminUpdateUser",
                 .path = {{"id", Schema::integer(0).example(1), "The user's id."}},
                 .body = Schema::object({{"disabled", Schema::boolean(), web::Presence::kOptional},
                                         {"platform_admin", Schema::boolean(), web::Presence::kOptional}})
                             .named("PlatformUserPatch"),
                 .replies = {{200, user}},
                 .problems = {kCannotDemoteSelf}});
}

}  // namespace tenantry::apps::admin

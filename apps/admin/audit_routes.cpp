// GET /admin/api/audit: the audit log of platform administration, newest first.
#include <boost/json.hpp>

#include "apps/admin/admin_state.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/web/pagination.hpp"

namespace tenantry::apps::admin {

namespace {

boost::json::value nullable_text(const db::Row& row, int column) {
  return row.is_null(column) ? boost::json::value(nullptr) : boost::json::value(row.get<std::string>(column));
}

Task<http::Response> list_audit(web::RequestContext& ctx) {
  const auto page = web::Page::from(ctx.request);
  const auto action = ctx.request.query_param("action");
  const auto tenant = ctx.request.query_param("tenant");
  const auto actor = ctx.request.query_param("actor");
  const auto outcome = ctx.request.query_param("outcome");
  const std::string where =
      " WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR tenant_schema = $2) "
      "AND ($3::text IS NULL OR actor_email = $3) AND ($4::text IS NULL OR outcome = $4)";
  const std::string count_sql = "SELECT count(*) FROM audit_log" + where;
  const std::string rows_sql =
      "SELECT id, at, actor_email, action, tenant_schema, detail::text, outcome, error FROM audit_log" +
      where + " ORDER BY id DESC LIMIT $5 OFFSET $6";
  const db::Session public_db(ctx.pool);
  auto count = co_await public_db.query(count_sql, action, tenant, actor, outcome);
  auto rows = co_await public_db.query(rows_sql, action, tenant, actor, outcome, page.limit, page.offset);
  boost::json::array results;
  for (auto row : rows) {
    boost::json::object entry{{"id", row.get<std::int64_t>(0)},
                              {"at", row.get<db::Rfc3339>(1).text},
                              {"actor", row.get<std::optional<std::string>>(2).value_or("")},
                              {"action", row.get<std::string>(3)},
                              {"outcome", row.get<std::string>(6)}};
    entry["tenant"] = nullable_text(row, 4);
    entry["detail"] = boost::json::parse(row.text(5));
    entry["error"] = nullable_text(row, 7);
    results.push_back(std::move(entry));
  }
  co_return page.response(ctx.request, count.one().get<std::int64_t>(0), std::move(results));
}

}  // namespace

void register_audit_routes(web::RouteTable& r, std::shared_ptr<auth::AuthService> auth) {
  r.add("GET", "/admin/api/audit",
        [auth](web::RequestContext& ctx) -> Task<http::Response> {
          auth->require_platform_admin(ctx);
          co_return co_await list_audit(ctx);
        },
        {.summary = "The audit log (action, tenant, actor, outcome filters)", .tags = {"admin"}});
}

}  // namespace tenantry::apps::admin

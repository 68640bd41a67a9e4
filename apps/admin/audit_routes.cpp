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
  const auto page = web::Page::from(ctx.query);
  const auto action = ctx.query.string("action");
  const auto tenant = ctx.query.string("tenant");
  const auto actor = ctx.query.string("actor");
  const auto outcome = ctx.query.string("outcome");
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

void register_audit_routes(web::RouteTable& r) {
  using web::Schema;
  r.add("GET", "/admin/api/audit", list_audit,
        {.summary = "The audit log, newest first",
         .tags = {"admin"},
         .operation_id = "adminListAudit",
         .access = web::Access::platform_admin(),
         .query = {{"action", Schema::string(1, 100), "e.g. tenant.create"},
                   {"tenant", Schema::string(1, 63), "The tenant's slug."},
                   {"actor", Schema::string(1, 256), "The actor's e-mail."},
                   {"outcome", Schema::choice({"ok", "error"})}},
         .page_of = Schema::object({{"id", Schema::integer(1)},
                                    {"at", Schema::timestamp()},
                                    {"actor", Schema::string()},
                                    {"action", Schema::string()},
                                    {"outcome", Schema::choice({"ok", "error"})},
                                    {"tenant", Schema::string().nullable()},
                                    {"detail", Schema::any_object()},
                                    {"error", Schema::string().nullable()}})
                        .named("AuditEntry")});
}

}  // namespace tenantry::apps::admin

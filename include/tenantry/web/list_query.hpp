#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/params.hpp"
#include "tenantry/db/session.hpp"
#include "tenantry/http/problem.hpp"
#include "tenantry/http/request.hpp"
#include "tenantry/web/operation.hpp"
#include "tenantry/web/pagination.hpp"

namespace tenantry::web {

/// One `?ordering=` name a list accepts and the SQL expression it sorts by (a constant, never client text).
struct OrderingField {
  std::string_view name;
  std::string_view sql;
};

/// The `?ordering=` parameter of a list that sorts by `fields` (its declaration: names, '-' for descending).
Parameter ordering_parameter(const std::vector<OrderingField>& fields);

/// The filters, ordering and page of a list endpoint, from the query parameters its Operation declared (so
/// already validated, typed, and any unknown one refused): every value becomes a bind parameter, and
/// orderings map to SQL from a whitelist. Used by the catalog and service lists.
///
///   ListQuery q(ctx);
///   if (auto v = q.integer("min_price")) q.where("price_cents >= $?", *v);
///   q.order(kOrderings, "id");
///   co_await ctx.db.execute("SELECT count(*) FROM products" + q.where_sql(), q.params());
class ListQuery {
 public:
  /// `request` for the page links, `query` as validated by dispatch (RequestContext::query).
  ListQuery(const http::Request& request, const Input& query);

  std::optional<std::string> text(std::string_view name) const { return query_.string(name); }
  /// The search text: `search` (the name DRF's SearchFilter uses) or its short form `q`.
  std::optional<std::string> search() const;
  std::optional<std::int64_t> integer(std::string_view name) const { return query_.integer(name); }
  std::optional<bool> boolean(std::string_view name) const { return query_.boolean(name); }

  /// ANDs `condition` into the WHERE clause; each "$?" in it stands for `value`, bound as the next parameter.
  template <typename T>
  void where(std::string_view condition, const T& value) {
    params_.add(value);
    add_condition(condition);
  }

  /// Sorts by `?ordering=a,-b` (a leading '-' sorts descending; declared by ordering_parameter(allowed)), or
  /// by `fallback` (a name from `allowed`, possibly with '-') without it. `id` always breaks ties, so pages
  /// are stable.
  void order(const std::vector<OrderingField>& allowed, std::string_view fallback);

  /// Runs the count and the page query on `table` (in the session's schema) and answers with the paginated
  /// list, each row shaped by `to_json`.
  Task<http::Response> respond(const db::Session& db, std::string_view table, std::string_view columns,
                               boost::json::object (*to_json)(const db::Row&)) const;

  /// " WHERE ..." or "" when nothing filters.
  const std::string& where_sql() const noexcept { return where_; }
  /// " ORDER BY ... LIMIT $n OFFSET $m"; its two parameters are in rows_params() only.
  std::string order_page_sql() const;
  /// The parameters of the WHERE clause (for the count).
  const db::ParamList& params() const noexcept { return params_; }
  /// The parameters of the WHERE clause followed by the page's limit and offset (for the rows).
  db::ParamList rows_params() const;
  const Page& page() const noexcept { return page_; }

 private:
  void add_condition(std::string_view condition);

  const http::Request& request_;
  const Input& query_;
  Page page_;
  db::ParamList params_;
  std::string where_;
  std::string order_by_;
};

}  // namespace tenantry::web

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
#include "tenantry/web/pagination.hpp"

namespace tenantry::web {

/// One `?ordering=` name a list accepts and the SQL expression it sorts by (a constant, never client text).
struct OrderingField {
  std::string_view name;
  std::string_view sql;
};

/// The filters, ordering and page of a list endpoint, read from the query string: every value becomes a bind
/// parameter, orderings come from a whitelist, and every bad parameter is reported at once (400 with field
/// errors) by finish(), like JsonInput does for bodies. Used by the catalog and service lists.
///
///   ListQuery q(ctx.request);
///   if (auto v = q.integer("min_price")) q.where("price_cents >= $?", *v);
///   q.order(kOrderings, "id");
///   q.finish();
///   co_await ctx.db.execute("SELECT count(*) FROM products" + q.where_sql(), q.params());
class ListQuery {
 public:
  explicit ListQuery(const http::Request& request);

  /// The raw text of a parameter, if present.
  std::optional<std::string> text(std::string_view name) {
    known_.push_back(name);
    return request_.query_param(name);
  }
  /// The search text: `search` (the name DRF's SearchFilter uses) or its short form `q`.
  std::optional<std::string> search();
  /// An integer parameter; a non-integer is an error.
  std::optional<std::int64_t> integer(std::string_view name);
  /// A boolean parameter ("true"/"false"/"1"/"0"); anything else is an error.
  std::optional<bool> boolean(std::string_view name);
  /// A parameter that must be one of `allowed`.
  std::optional<std::string> choice(std::string_view name, const std::vector<std::string_view>& allowed);

  /// ANDs `condition` into the WHERE clause; each "$?" in it stands for `value`, bound as the next parameter.
  template <typename T>
  void where(std::string_view condition, const T& value) {
    params_.add(value);
    add_condition(condition);
  }

  /// Reads `?ordering=a,-b` (a leading '-' sorts descending) against `allowed`; `fallback` (a name from
  /// `allowed`, possibly with '-') applies without the parameter. `id` always breaks ties, so pages are
  /// stable.
  void order(const std::vector<OrderingField>& allowed, std::string_view fallback);

  /// Throws ProblemError(400) listing every bad parameter seen so far, and every parameter of the request
  /// that no reader asked for: a misspelt filter is an error, not a silently unfiltered list.
  void finish() const;

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
  Page page_;
  std::vector<http::FieldError> errors_;
  /// The parameters read so far (limit and offset from the start).
  std::vector<std::string_view> known_{"limit", "offset"};
  db::ParamList params_;
  std::string where_;
  std::string order_by_;
};

}  // namespace tenantry::web

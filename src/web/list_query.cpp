#include "tenantry/web/list_query.hpp"

#include <algorithm>

namespace tenantry::web {

Parameter ordering_parameter(const std::vector<OrderingField>& fields) {
  std::vector<std::string> names;
  for (const auto& f : fields) names.emplace_back(f.name);
  return {"ordering", Schema::ordering(std::move(names)),
          "Sort by these fields, comma-separated; a leading '-' sorts descending. Ties sort by id."};
}

ListQuery::ListQuery(const http::Request& request, const Input& query)
    : request_(request), query_(query), page_(Page::from(query)) {}

std::optional<std::string> ListQuery::search() const {
  auto text = this->text("search");
  return text ? text : this->text("q");
}

void ListQuery::add_condition(std::string_view condition) {
  const std::string placeholder = "$" + std::to_string(params_.size());
  std::string sql;
  for (std::size_t i = 0; i < condition.size(); ++i) {
    if (condition[i] == '$' && i + 1 < condition.size() && condition[i + 1] == '?') {
      sql += placeholder;
      ++i;
    } else {
      sql += condition[i];
    }
  }
  where_ += (where_.empty() ? " WHERE (" : " AND (") + sql + ")";
}

void ListQuery::order(const std::vector<OrderingField>& allowed, std::string_view fallback) {
  auto requested = text("ordering");
  const std::string spec = requested && !requested->empty() ? *requested : std::string(fallback);
  std::string order_by;
  bool has_id = false;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    std::string_view term(spec.data() + start, comma - start);
    start = comma + 1;
    const bool descending = term.starts_with('-');
    if (descending) term.remove_prefix(1);
    // The names were validated against the declaration, which lists `allowed`.
    const auto field =
        std::find_if(allowed.begin(), allowed.end(), [&](const OrderingField& f) { return f.name == term; });
    if (field == allowed.end()) continue;
    has_id |= field->name == "id";
    order_by += (order_by.empty() ? "" : ", ") + std::string(field->sql) + (descending ? " DESC" : "");
  }
  if (!has_id) order_by += order_by.empty() ? "id" : ", id";
  order_by_ = " ORDER BY " + order_by;
}

std::string ListQuery::order_page_sql() const {
  const auto n = params_.size();
  return order_by_ + " LIMIT $" + std::to_string(n + 1) + " OFFSET $" + std::to_string(n + 2);
}

db::ParamList ListQuery::rows_params() const {
  db::ParamList params = params_;
  params.add(page_.limit);
  params.add(page_.offset);
  return params;
}

Task<http::Response> ListQuery::respond(const db::Session& db, std::string_view table,
                                        std::string_view columns,
                                        boost::json::object (*to_json)(const db::Row&)) const {
  // The count and the page travel in one flush: one round trip for the whole list.
  std::vector<db::Statement> batch;
  batch.push_back({"SELECT count(*) FROM " + std::string(table) + where_sql(), params()});
  batch.push_back(
      {"SELECT " + std::string(columns) + " FROM " + std::string(table) + where_sql() + order_page_sql(),
       rows_params()});
  auto results = co_await db.execute_batch(std::move(batch));
  boost::json::array json;
  for (auto row : results[1]) json.push_back(to_json(row));
  co_return page().response(request_, results[0].one().get<std::int64_t>(0), std::move(json));
}

}  // namespace tenantry::web

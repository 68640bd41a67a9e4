#include "tenantry/web/list_query.hpp"

#include "tenantry/web/json_input.hpp"

namespace tenantry::web {

ListQuery::ListQuery(const http::Request& request) : request_(request) {
  // Page::from stops at its first bad value; its errors join ours so that the client sees all of them.
  try {
    page_ = Page::from(request);
  } catch (const http::ProblemError& e) {
    errors_ = e.problem().errors;
  }
}

// The parameters are read as query_integer() and query_boolean() read them; their errors are collected.
std::optional<std::string> ListQuery::search() {
  auto text = this->text("search");
  auto short_form = this->text("q");
  return text ? text : short_form;
}

std::optional<std::int64_t> ListQuery::integer(std::string_view name) {
  known_.push_back(name);
  try {
    return query_integer(request_, name);
  } catch (const http::ProblemError& e) {
    errors_.insert(errors_.end(), e.problem().errors.begin(), e.problem().errors.end());
    return std::nullopt;
  }
}

std::optional<bool> ListQuery::boolean(std::string_view name) {
  known_.push_back(name);
  try {
    return query_boolean(request_, name);
  } catch (const http::ProblemError& e) {
    errors_.insert(errors_.end(), e.problem().errors.begin(), e.problem().errors.end());
    return std::nullopt;
  }
}

std::optional<std::string> ListQuery::choice(std::string_view name,
                                             const std::vector<std::string_view>& allowed) {
  auto text = this->text(name);
  if (!text) return std::nullopt;
  for (auto a : allowed)
    if (*text == a) return text;
  errors_.push_back({std::string(name), must_be_one_of(allowed)});
  return std::nullopt;
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
    const OrderingField* field = nullptr;
    for (const auto& f : allowed)
      if (f.name == term) field = &f;
    if (field == nullptr) {
      std::string names;
      for (const auto& f : allowed) names += (names.empty() ? "" : ", ") + std::string(f.name);
      errors_.push_back({"ordering", "Unknown ordering field '" + std::string(term) + "'; allowed: " + names +
                                         " (each optionally prefixed with '-')."});
      return;
    }
    has_id |= field->name == "id";
    order_by += (order_by.empty() ? "" : ", ") + std::string(field->sql) + (descending ? " DESC" : "");
  }
  if (!has_id) order_by += ", id";
  order_by_ = " ORDER BY " + order_by;
}

void ListQuery::finish() const {
  std::vector<http::FieldError> errors = errors_;
  for (const auto& [name, value] : request_.query) {
    (void)value;
    if (std::find(known_.begin(), known_.end(), name) == known_.end() &&
        std::none_of(errors.begin(), errors.end(),
                     [&](const http::FieldError& e) { return e.field == name; }))
      errors.push_back({name, "Unknown query parameter."});
  }
  if (!errors.empty()) throw http::Invalid(errors);
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

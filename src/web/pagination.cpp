#include "tenantry/web/pagination.hpp"

#include <algorithm>
#include <charconv>

namespace tenantry::web {

namespace {

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// The request's URL with limit and offset replaced, as the client addressed it (also in absolute-form, and
/// through a trusted reverse proxy: Request::origin).
std::string link(const http::Request& request, std::int64_t limit, std::int64_t offset) {
  std::string url = request_origin(request);
  url += request.target_path();
  std::string query;
  for (const auto& [name, value] : request.query)
    if (name != "limit" && name != "offset")
      query += "&" + percent_encode(name) + "=" + percent_encode(value);
  query += "&limit=" + std::to_string(limit);
  if (offset > 0) query += "&offset=" + std::to_string(offset);
  return url + "?" + query.substr(1);
}

}  // namespace

std::string request_origin(const http::Request& request) {
  if (!request.origin.empty()) return request.origin;
  return "http://" + (request.authority.empty() ? std::string("localhost") : request.authority);
}

Page Page::from(const Input& query) {
  return Page{query.integer("limit").value_or(20), query.integer("offset").value_or(0)};
}

http::Response Page::response(const http::Request& request, std::int64_t count,
                              boost::json::array results) const {
  boost::json::object body;
  body["count"] = count;
  // Any offset up to INT64_MAX is valid, so no sum may overflow: "offset + limit < count" is tested as
  // "offset < count - limit" (count >= 0, 1 <= limit <= max_limit), and then offset + limit < count.
  body["next"] = offset < count - limit ? boost::json::value(link(request, limit, offset + limit)) : nullptr;
  // From past the end, the page before is the last one, not another page past the end.
  const std::int64_t before = std::max<std::int64_t>(0, std::min(offset, count) - limit);
  body["previous"] = offset > 0 ? boost::json::value(link(request, limit, before)) : nullptr;
  body["results"] = std::move(results);
  return http::Response::json(200, body);
}

}  // namespace tenantry::web

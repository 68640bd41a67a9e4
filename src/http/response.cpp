#include "tenantry/http/response.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/text.hpp"

namespace tenantry::http {

Response Response::json(int status, const boost::json::value& value) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = boost::json::serialize(value);
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

Response& Response::add_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::optional<std::string_view> Response::header(std::string_view name) const noexcept {
  for (const auto& [n, v] : headers) {
    if (detail::iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

}  // namespace tenantry::http

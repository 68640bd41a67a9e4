#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>

#include "tenantry/http/request.hpp"
#include "tenantry/http/response.hpp"
#include "tenantry/web/operation.hpp"

namespace tenantry::web {

/// `?limit=&offset=` pagination, answered like Django REST Framework's LimitOffsetPagination:
/// `{"count", "next", "previous", "results"}` with absolute `next`/`previous` links.
struct Page {
  std::int64_t limit = 20;
  std::int64_t offset = 0;

  /// The page of a list's query, validated against page_parameters() (limit 1–100, default 20; offset).
  static Page from(const Input& query);
  /// `next` and `previous` are right for any offset: absent past the last page and before the first, and from
  /// past the end `previous` is the last page.
  http::Response response(const http::Request& request, std::int64_t count, boost::json::array results) const;
};

/// "scheme://authority" as the client addressed the server (Request::origin, else http:// and the authority),
/// for absolute links.
std::string request_origin(const http::Request& request);

}  // namespace tenantry::web

#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>

#include "tenantry/http/request.hpp"
#include "tenantry/http/response.hpp"

namespace tenantry::web {

/// `?limit=&offset=` pagination, answered like Django REST Framework's LimitOffsetPagination:
/// `{"count", "next", "previous", "results"}` with absolute `next`/`previous` links.
struct Page {
  std::int64_t limit = 20;
  std::int64_t offset = 0;

  /// Reads limit (1–100, default 20) and offset (0 to INT64_MAX); bad values → ProblemError(400).
  static Page from(const http::Request& request, std::int64_t default_limit = 20,
                   std::int64_t max_limit = 100);
  /// `next` and `previous` are right for any offset: absent past the last page and before the first, and from
  /// past the end `previous` is the last page.
  http::Response response(const http::Request& request, std::int64_t count, boost::json::array results) const;
};

/// An optional integer query parameter; a non-integer value adds a 400 (ProblemError).
std::optional<std::int64_t> query_integer(const http::Request& request, std::string_view name);
/// An optional boolean query parameter ("true"/"false"/"1"/"0").
std::optional<bool> query_boolean(const http::Request& request, std::string_view name);

}  // namespace tenantry::web

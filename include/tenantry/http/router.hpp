#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tenantry/http/detail/route_table.hpp"
#include "tenantry/http/path_params.hpp"
#include "tenantry/http/route_entry.hpp"

namespace tenantry::http {

/// Maps (method, path) to a handler through path templates such as "/api/products/{id:int}".
///
/// Matching works segment by segment on the decoded path (no regular expressions):
/// - A literal segment matches itself exactly (case-sensitive). `{name}` matches any one non-empty segment;
///   `{name:int}` matches a non-negative 64-bit decimal integer only, so "/products/abc" or an id that
///   overflows is simply not found (404), never a handler error.
/// - Precedence at each segment: literal, then `{x:int}`, then `{x}`, backtracking when a deeper segment
///   fails; "/api/products/search" therefore wins over "/api/products/{id}".
/// - Trailing slashes are significant here (the web layer redirects to the other form with 308 when only it
///   exists): "/api/products/" does not match
///   "/api/products", and empty segments ("//") match no placeholder.
/// - HEAD matches a GET route when no HEAD route exists (the server sends no body for HEAD).
/// - When the path matches but no route has the method, the result is MethodNotAllowed with every method
///   the path accepts, for the Allow header (RFC 9110 §15.5.6).
///
/// Add every route before serving: add() is not thread-safe and invalidates earlier Match results.
template <typename Handler>
class Router {
 public:
  struct Found {
    const Handler* handler = nullptr;
    PathParams params;
    const RouteEntry* route = nullptr;
    /// The matched template, e.g. "/api/products/{id}" (a low-cardinality label for metrics and logs).
    std::string_view route_template() const noexcept { return route->path_template; }
  };
  struct MethodNotAllowed {
    std::vector<std::string> allowed;
    /// The value for the Allow header, e.g. "GET, HEAD, POST".
    std::string allow_header() const {
      std::string out;
      for (const auto& m : allowed) {
        if (!out.empty()) out += ", ";
        out += m;
      }
      return out;
    }
  };
  struct NotFound {};
  using Match = std::variant<NotFound, Found, MethodNotAllowed>;

  /// Registers `handler` for `method` (e.g. "GET") and `path_template`. Throws std::invalid_argument for a
  /// malformed template (must start with '/'; placeholders are whole segments `{name}` or `{name:int}`
  /// with unique identifier names, at most PathParams::kMaxParams) or a duplicate route.
  Router& add(std::string method, std::string_view path_template, Handler handler) {
    table_.add(std::move(method), path_template);
    handlers_.push_back(std::move(handler));
    return *this;
  }

  Match match(std::string_view method, std::string_view path) const {
    std::size_t route = 0;
    PathParams params;
    std::vector<std::string> allowed;
    switch (table_.match(method, path, route, params, allowed)) {
      case detail::RouteTable::Outcome::found:
        return Found{&handlers_[route], std::move(params), &table_.routes()[route]};
      case detail::RouteTable::Outcome::method_not_allowed:
        return MethodNotAllowed{std::move(allowed)};
      case detail::RouteTable::Outcome::not_found:
        break;
    }
    return NotFound{};
  }

  /// Every route in registration order, for documentation generators.
  const std::vector<RouteEntry>& routes() const noexcept { return table_.routes(); }
  /// The handler of routes()[i].
  const Handler& handler(std::size_t i) const { return handlers_.at(i); }

 private:
  detail::RouteTable table_;
  std::deque<Handler> handlers_;  // a deque so that Found::handler stays valid across add()
};

}  // namespace tenantry::http

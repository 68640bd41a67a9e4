#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/http/path_params.hpp"
#include "tenantry/http/route_entry.hpp"

namespace tenantry::http::detail {

/// The handler-independent part of Router: a segment trie compiled once (router.cpp), mapping
/// (method, path) to a route index.
class RouteTable {
 public:
  enum class Outcome { found, method_not_allowed, not_found };

  RouteTable();
  ~RouteTable();
  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;

  /// Registers a route and returns its index; throws std::invalid_argument for a malformed template or
  /// a duplicate (method, template).
  std::size_t add(std::string method, std::string_view path_template);

  /// On `found`, sets `route` and fills `params`; on `method_not_allowed`, fills `allowed` (sorted, unique,
  /// HEAD included wherever GET is).
  Outcome match(std::string_view method, std::string_view path, std::size_t& route, PathParams& params,
                std::vector<std::string>& allowed) const;

  const std::vector<RouteEntry>& routes() const noexcept { return routes_; }

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  std::vector<RouteEntry> routes_;
};

}  // namespace tenantry::http::detail

#include <algorithm>
#include <array>
#include <stdexcept>

#include "tenantry/http/detail/route_table.hpp"
#include "tenantry/http/request.hpp"

namespace tenantry::http::detail {

// One trie node per template prefix. Children are tried in precedence order: literal, int, string.
struct RouteTable::Node {
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> int_param;
  std::unique_ptr<Node> string_param;
  std::vector<std::pair<std::string, std::size_t>> methods;  // routes ending here: method -> route index
};

RouteTable::RouteTable() : root_(std::make_unique<Node>()) {}
RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

namespace {

[[noreturn]] void bad_template(std::string_view path_template, std::string_view why) {
  throw std::invalid_argument("route template \"" + std::string(path_template) + "\": " + std::string(why));
}

bool is_identifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_int_segment(std::string_view s) {
  // Same rule as parse_non_negative_int64, without converting: at most 19 digits and <= INT64_MAX.
  static constexpr std::string_view kMax = "9223372036854775807";
  if (s.empty() || s.size() > kMax.size()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return s.size() < kMax.size() || s <= kMax;
}

// The state of one match: values captured along the current trie path, and what was found.
struct Search {
  std::string_view method;
  std::array<std::string_view, PathParams::kMaxParams> values;
  std::size_t depth = 0;
  std::size_t route = 0;
  bool path_matched = false;  // some route has this path, perhaps not this method
  std::vector<std::string>* allowed;
};

}  // namespace

std::size_t RouteTable::add(std::string method, std::string_view path_template) {
  // The server answers any other method 501 before routing: such a route could never be reached.
  if (!implemented_method(method)) {
    throw std::invalid_argument("route method \"" + method +
                                "\": expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
  }
  if (path_template.empty() || path_template.front() != '/')
    bad_template(path_template, "must start with '/'");

  RouteEntry entry{method, std::string(path_template), {}};
  Node* node = root_.get();
  std::string_view rest = path_template.substr(1);
  for (;;) {
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (!seg.empty() && seg.front() == '{') {
      if (seg.back() != '}') bad_template(path_template, "a placeholder must be a whole segment");
      std::string_view inner = seg.substr(1, seg.size() - 2);
      PathParamSpec spec;
      if (const std::size_t colon = inner.find(':'); colon != std::string_view::npos) {
        const std::string_view type = inner.substr(colon + 1);
        if (type == "int") {
          spec.type = PathParamType::integer;
        } else if (type != "string") {
          bad_template(path_template, "unknown placeholder type (expected int or string)");
        }
        inner = inner.substr(0, colon);
      }
      if (!is_identifier(inner)) bad_template(path_template, "placeholder names must be identifiers");
      for (const PathParamSpec& p : entry.params) {
        if (p.name == inner) bad_template(path_template, "duplicate placeholder name");
      }
      if (entry.params.size() == PathParams::kMaxParams) bad_template(path_template, "too many placeholders");
      spec.name = inner;
      auto& child = spec.type == PathParamType::integer ? node->int_param : node->string_param;
      if (!child) child = std::make_unique<Node>();
      node = child.get();
      entry.params.push_back(std::move(spec));
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos) {
        bad_template(path_template, "a placeholder must be a whole segment");
      }
      auto it = std::find_if(node->literals.begin(), node->literals.end(),
                             [&](const auto& l) { return l.first == seg; });
      if (it == node->literals.end()) {
        node->literals.emplace_back(std::string(seg), std::make_unique<Node>());
        it = node->literals.end() - 1;
      }
      node = it->second.get();
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  for (const auto& [m, index] : node->methods) {
    if (m == method) {
      throw std::invalid_argument("duplicate route " + method + " " + std::string(path_template) +
                                  " (same shape as " + routes_[index].path_template + ")");
    }
  }
  node->methods.emplace_back(std::move(method), routes_.size());
  routes_.push_back(std::move(entry));
  return routes_.size() - 1;
}

namespace {

template <typename Node>
bool at_terminal(const Node& node, Search& s) {
  if (node.methods.empty()) return false;
  for (const auto& [m, route] : node.methods) {
    if (m == s.method) {
      s.route = route;
      return true;
    }
  }
  if (s.method == "HEAD") {
    for (const auto& [m, route] : node.methods) {
      if (m == "GET") {
        s.route = route;
        return true;
      }
    }
  }
  s.path_matched = true;
  for (const auto& entry : node.methods) {
    s.allowed->push_back(entry.first);
    if (entry.first == "GET") s.allowed->push_back("HEAD");
  }
  return false;
}

// `rest` is the path after the '/' that precedes the next segment. Returns true once a route is found;
// otherwise backtracks so that a lower-precedence branch gets its chance.
template <typename Node>
bool visit(const Node& node, std::string_view rest, Search& s) {
  const std::size_t slash = rest.find('/');
  const std::string_view seg = rest.substr(0, slash);
  const bool last = slash == std::string_view::npos;
  const std::string_view next = last ? std::string_view() : rest.substr(slash + 1);
  auto descend = [&](const Node& child) { return last ? at_terminal(child, s) : visit(child, next, s); };

  for (const auto& [literal, child] : node.literals) {
    if (literal == seg) {
      if (descend(*child)) return true;
      break;
    }
  }
  if (seg.empty() || s.depth == s.values.size()) return false;
  if (node.int_param && is_int_segment(seg)) {
    s.values[s.depth++] = seg;
    if (descend(*node.int_param)) return true;
    --s.depth;
  }
  if (node.string_param) {
    s.values[s.depth++] = seg;
    if (descend(*node.string_param)) return true;
    --s.depth;
  }
  return false;
}

}  // namespace

RouteTable::Outcome RouteTable::match(std::string_view method, std::string_view path, std::size_t& route,
                                      PathParams& params, std::vector<std::string>& allowed) const {
  if (path.empty() || path.front() != '/') return Outcome::not_found;
  Search s{.method = method, .values = {}, .allowed = &allowed};
  allowed.clear();
  if (visit(*root_, path.substr(1), s)) {
    route = s.route;
    const RouteEntry& entry = routes_[s.route];
    params.clear();
    for (std::size_t i = 0; i < s.depth; ++i) params.push_back(entry.params[i].name, s.values[i]);
    return Outcome::found;
  }
  if (!s.path_matched) return Outcome::not_found;
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  return Outcome::method_not_allowed;
}

}  // namespace tenantry::http::detail

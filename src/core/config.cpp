#include "tenantry/core/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>
#include <sstream>
#include <variant>

#include "core/detail/config_settings.hpp"
#include "tenantry/core/ip_network.hpp"

namespace tenantry {

using detail::Setting;
using detail::settings;
using detail::Shown;
using detail::Target;

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

/// Assigns a value given as text (environment variables).
void assign_text(const Setting& s, const std::string& text, const std::string& origin) {
  auto bad = [&](const char* what) {
    throw ConfigError(origin + ": " + s.key + " " + what + ", got '" + text + "'");
  };
  std::visit(
      [&](auto* target) {
        using T = std::remove_pointer_t<decltype(target)>;
        if constexpr (std::is_same_v<T, std::string>) {
          *target = text;
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1" || text == "yes" || text == "on")
            *target = true;
          else if (text == "false" || text == "0" || text == "no" || text == "off")
            *target = false;
          else
            bad("must be true or false");
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          *target = split_list(text);
        } else {
          char* end = nullptr;
          const long long v = std::strtoll(text.c_str(), &end, 10);
          if (text.empty() || *end) bad("must be an integer");
          if constexpr (std::is_same_v<T, std::size_t>) {
            if (v < 0) bad("must not be negative");
          }
          *target = static_cast<T>(v);
        }
      },
      s.target);
}

void assign_toml(const Setting& s, const toml::node& node, const std::string& origin) {
  auto bad = [&](const char* what) { throw ConfigError(origin + ": " + s.key + " " + what); };
  std::visit(
      [&](auto* target) {
        using T = std::remove_pointer_t<decltype(target)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (!node.is_string()) bad("must be a string");
          *target = node.as_string()->get();
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!node.is_boolean()) bad("must be true or false");
          *target = node.as_boolean()->get();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          if (!node.is_array()) bad("must be an array of strings");
          target->clear();
          for (const auto& item : *node.as_array()) {
            if (!item.is_string()) bad("must be an array of strings");
            target->push_back(item.as_string()->get());
          }
        } else {
          if (!node.is_integer()) bad("must be an integer");
          const auto v = node.as_integer()->get();
          if (std::is_same_v<T, std::size_t> && v < 0) bad("must not be negative");
          *target = static_cast<T>(v);
        }
      },
      s.target);
}

std::string why_invalid_plan_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return "must be 1 to 63 characters";
  for (char ch : name)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
      return "may contain only lower-case letters, digits, '_' and '-'";
  return {};
}

std::optional<std::int64_t>& plan_limit(Config::Plan& plan, std::string_view limit) {
  return limit == "max_products" ? plan.max_products : plan.max_members;
}

/// Reads one `[plans.<name>]` table; an absent limit is unlimited.
Config::Plan read_plan(const std::string& key, const toml::node& node, const std::string& origin) {
  if (!node.is_table())
    throw ConfigError(origin + ": " + key + " must be a table ([" + key +
                      "] with max_products, max_members)");
  Config::Plan plan;
  for (const auto& [name, value] : *node.as_table()) {
    const std::string limit(name.str());
    if (limit != "max_products" && limit != "max_members")
      throw ConfigError(origin + ": unknown key '" + key + "." + limit +
                        "' (a plan has max_products and max_members)");
    if (!value.is_integer())
      throw ConfigError(origin + ": " + key + "." + limit +
                        " must be an integer (leave it out for no limit)");
    if (value.as_integer()->get() < 0)
      throw ConfigError(origin + ": " + key + "." + limit + " must not be negative");
    plan_limit(plan, limit) = value.as_integer()->get();
  }
  return plan;
}

/// The `[plans.<name>]` tables. A file that defines plans replaces the built-in ones: a plan it leaves out
/// must not survive with limits nobody chose.
void read_plans(const toml::node& node, std::map<std::string, Config::Plan>& plans,
                const std::string& origin) {
  if (!node.is_table()) throw ConfigError(origin + ": plans must be tables: [plans.<name>]");
  if (node.as_table()->empty()) return;
  plans.clear();
  for (const auto& [name_key, plan] : *node.as_table()) {
    const std::string name(name_key.str());
    if (auto why = why_invalid_plan_name(name); !why.empty())
      throw ConfigError(origin + ": plans." + name + ": the plan name " + why);
    plans[name] = read_plan("plans." + name, plan, origin);
  }
}

void read_file(const std::filesystem::path& path, Config& config, std::vector<Setting>& all) {
  toml::table table;
  try {
    table = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path.string() << ":" << e.source().begin.line << ": " << e.description();
    throw ConfigError(msg.str());
  }
  for (const auto& [section, value] : table) {
    if (section.str() == "plans") {
      read_plans(value, config.plans, path.string());
      continue;
    }
    if (!value.is_table())
      throw ConfigError(path.string() + ": unknown key '" + std::string(section.str()) + "'");
    for (const auto& [name, node] : *value.as_table()) {
      const std::string key = std::string(section.str()) + "." + std::string(name.str());
      auto it = std::find_if(all.begin(), all.end(), [&](const Setting& s) { return s.key == key; });
      if (it == all.end()) throw ConfigError(path.string() + ": unknown key '" + key + "'");
      assign_toml(*it, node, path.string());
    }
  }
}

std::string shown_value(const Setting& s, const std::string& value) {
  switch (s.shown) {
    case Shown::kSecret:
      return value.empty() ? std::string() : "***";
    case Shown::kConninfo:
      return mask_conninfo(value);
    case Shown::kPlain:
      break;
  }
  return value;
}

}  // namespace

std::string why_invalid_networks(const std::vector<std::string>& networks) {
  for (const std::string& network : networks)
    if (!IpNetwork::parse(network))
      return "has '" + network + "', which is neither an IP address nor a CIDR network such as 10.0.0.0/8";
  return {};
}

std::string why_invalid_cors_origins(const std::vector<std::string>& origins) {
  for (const std::string& origin : origins) {
    const auto scheme_end = origin.find("://");
    const std::string_view scheme = std::string_view(origin).substr(0, scheme_end);
    const std::string_view host = scheme_end == std::string::npos
                                      ? std::string_view{}
                                      : std::string_view(origin).substr(scheme_end + 3);
    const auto star = host.find('*');
    const bool ok = (scheme == "http" || scheme == "https") && !host.empty() &&
                    host.find_first_of("/?#@ ") == std::string_view::npos &&
                    (star == std::string_view::npos ||
                     (host.starts_with("*.") && host.find('*', 1) == std::string_view::npos));
    if (!ok)
      return "has '" + origin +
             "', which is no origin: write scheme://host[:port], e.g. https://app.example.com "
             "or https://*.example.com";
  }
  return {};
}

std::string why_invalid_trusted_networks(const Config::Tenancy& tenancy) {
  if (auto why = why_invalid_networks(tenancy.header_trusted_networks); !why.empty()) return why;
  if (tenancy.header_resolver && tenancy.header_trusted_networks.empty())
    return "must list the networks of the proxies that set X-Tenant, since tenancy.header_resolver is on "
           "(with none, any client could choose its tenant)";
  return {};
}

void validate(const Config& input) {
  Config config = input;  // the checks hold references into the Config they were made for
  for (const auto& s : settings(config))
    if (s.check)
      if (auto problem = s.check(config); !problem.empty())
        throw ConfigError("invalid configuration: " + s.key + " " + problem);
  for (auto& [name, plan] : config.plans) {
    if (auto why = why_invalid_plan_name(name); !why.empty())
      throw ConfigError("invalid configuration: plans." + name + ": the plan name " + why);
    for (const char* limit : {"max_products", "max_members"})
      if (plan_limit(plan, limit).value_or(0) < 0)
        throw ConfigError("invalid configuration: plans." + name + "." + limit + " must not be negative");
  }
}

namespace {
/// A setting's value as text, for comparisons (secrets included: nothing is shown).
std::string value_text(const Target& target) {
  return std::visit(
      [](auto* value) {
        using T = std::remove_pointer_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return *value;
        } else if constexpr (std::is_same_v<T, bool>) {
          return std::string(*value ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string joined;
          for (const auto& item : *value) joined += item + '\n';  // no setting value holds a newline
          return joined;
        } else {
          return std::to_string(*value);
        }
      },
      target);
}

bool same_plans(const std::map<std::string, Config::Plan>& a, const std::map<std::string, Config::Plan>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.first == y.first && x.second.max_products == y.second.max_products &&
           x.second.max_members == y.second.max_members;
  });
}
}  // namespace

std::vector<std::string> changed_settings(const Config& before_input, const Config& after_input) {
  Config before = before_input, after = after_input;  // settings() holds references into its Config
  const auto old_settings = settings(before);
  const auto new_settings = settings(after);
  std::vector<std::string> changed;
  for (std::size_t i = 0; i < old_settings.size(); ++i)
    if (value_text(old_settings[i].target) != value_text(new_settings[i].target))
      changed.push_back(old_settings[i].key);
  if (!same_plans(before.plans, after.plans)) changed.emplace_back("plans");
  return changed;
}

Config load_config(const std::optional<std::filesystem::path>& file) {
  Config config;
  auto all = settings(config);
  std::optional<std::filesystem::path> path = file;
  if (!path && std::filesystem::exists("tenantry.toml")) path = "tenantry.toml";
  if (path) {
    if (!std::filesystem::exists(*path))
      throw ConfigError("configuration file " + path->string() + " does not exist");
    read_file(*path, config, all);
  }
  for (const auto& s : all)
    for (const auto& name : s.env)
      if (const char* v = std::getenv(name.c_str())) assign_text(s, v, "environment variable " + name);
  validate(config);
  return config;
}

std::string render_config(const Config& input) {
  Config config = input;
  auto all = settings(config);
  std::ostringstream out;
  std::string section;
  for (const auto& s : all) {
    const auto dot = s.key.find('.');
    if (s.key.substr(0, dot) != section) {
      section = s.key.substr(0, dot);
      out << (out.tellp() > 0 ? "\n" : "") << "[" << section << "]\n";
    }
    out << s.key.substr(dot + 1) << " = ";
    std::visit(
        [&](auto* target) {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_same_v<T, std::string>) {
            out << toml::value<std::string>(shown_value(s, *target));
          } else if constexpr (std::is_same_v<T, bool>) {
            out << (*target ? "true" : "false");
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            toml::array a;
            for (const auto& v : *target) a.push_back(v);
            out << a;
          } else {
            out << *target;
          }
        },
        s.target);
    out << "\n";
  }
  for (auto& [name, plan] : config.plans) {
    out << "\n[plans." << name << "]\n";
    for (const char* limit : {"max_products", "max_members"}) {
      // TOML has no null: an unlimited limit is said in a comment.
      if (const auto& max = plan_limit(plan, limit))
        out << limit << " = " << *max << "\n";
      else
        out << "# " << limit << ": unlimited\n";
    }
  }
  return out.str();
}

}  // namespace tenantry

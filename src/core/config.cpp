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

#include "tenantry/core/ip_network.hpp"

namespace tenantry {

namespace {

using Target = std::variant<std::string*, std::int64_t*, std::size_t*, bool*, std::vector<std::string>*>;

/// How `config show` prints a value.
enum class Shown {
  kPlain,
  kSecret,    // only whether it is set: `***`
  kConninfo,  // a connection string: its passwords masked
};

/// One setting: its TOML key, its environment variables, and a check of the value.
struct Setting {
  std::string key;
  Target target;
  std::vector<std::string> env;
  std::function<std::string(const Config&)> check = {};  // returns the problem, or empty
  Shown shown = Shown::kPlain;
};

std::string env_name(const std::string& key) {
  std::string out = "TENANTRY_";
  for (char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// What is wrong with a HOST:PORT value, or empty.
std::string listen_problem(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return "must look like HOST:PORT";
  const std::string port = listen.substr(colon + 1);
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  return (port.empty() || *end || p < 0 || p > 65535) ? "port must be 0 to 65535" : "";
}

std::vector<Setting> settings(Config& c) {
  auto not_negative = [](const std::int64_t& v) {
    return [&v](const Config&) { return std::string(v >= 0 ? "" : "must not be negative"); };
  };
  // A PostgreSQL timeout setting: milliseconds as an int, 0 = off.
  auto timeout_ms = [](const std::int64_t& v) {
    return [&v](const Config&) {
      return std::string(v < 0                                          ? "must not be negative"
                         : v > std::numeric_limits<std::int32_t>::max() ? "must be at most 2147483647"
                                                                        : "");
    };
  };
  auto positive = [](const std::int64_t& v) {
    return [&v](const Config&) { return v > 0 ? std::string() : "must be greater than 0"; };
  };
  auto one_of = [](const std::string& v, std::vector<std::string> allowed) {
    return [&v, allowed](const Config&) {
      for (const auto& a : allowed)
        if (v == a) return std::string();
      return fmt::format("must be one of: {}", fmt::join(allowed, ", "));
    };
  };
  // A count or duration that must be above zero.
  auto counter = [&](const char* key, std::int64_t& v) { return Setting{key, &v, {}, positive(v)}; };
  std::vector<Setting> s{
      {"database.url", &c.database.url, {}, {}, Shown::kConninfo},
      {"database.var_dir", &c.database.var_dir, {"TENANTRY_VAR_DIR"}},
      {"database.pool_size",
       &c.database.pool_size,
       {},
       [&](const Config&) { return std::string(c.database.pool_size > 0 ? "" : "must be greater than 0"); }},
      {"database.acquire_timeout_ms",
       &c.database.acquire_timeout_ms,
       {},
       positive(c.database.acquire_timeout_ms)},
      {"database.max_connection_uses",
       &c.database.max_connection_uses,
       {},
       not_negative(c.database.max_connection_uses)},
      {"database.connections_per_tenant", &c.database.connections_per_tenant},
      {"database.max_connections_per_tenant",
       &c.database.max_connections_per_tenant,
       {},
       [&](const Config&) {
         return std::string(c.database.max_connections_per_tenant <= c.database.pool_size
                                ? ""
                                : "must be at most database.pool_size (" +
                                      std::to_string(c.database.pool_size) + "), or 0 for half of it");
       }},
      {"database.prepared_statements",
       &c.database.prepared_statements,
       {},
       [&](const Config&) {
         return std::string(c.database.prepared_statements > 0 ? "" : "must be greater than 0");
       }},
      {"database.affinity_wait_ms",
       &c.database.affinity_wait_ms,
       {},
       not_negative(c.database.affinity_wait_ms)},
      {"database.statement_timeout_ms",
       &c.database.statement_timeout_ms,
       {},
       timeout_ms(c.database.statement_timeout_ms)},
      {"database.lock_timeout_ms", &c.database.lock_timeout_ms, {}, timeout_ms(c.database.lock_timeout_ms)},
      {"server.listen",
       &c.server.listen,
       {"TENANTRY_LISTEN"},
       [&](const Config&) { return listen_problem(c.server.listen); }},
      {"server.threads", &c.server.threads, {}, not_negative(c.server.threads)},
      {"server.max_header_bytes", &c.server.max_header_bytes, {}, positive(c.server.max_header_bytes)},
      {"server.max_body_bytes", &c.server.max_body_bytes, {}, positive(c.server.max_body_bytes)},
      {"server.header_timeout_ms", &c.server.header_timeout_ms, {}, positive(c.server.header_timeout_ms)},
      {"server.idle_timeout_ms", &c.server.idle_timeout_ms, {}, positive(c.server.idle_timeout_ms)},
      {"server.max_connections", &c.server.max_connections, {}, positive(c.server.max_connections)},
      {"server.drain_timeout_ms", &c.server.drain_timeout_ms, {}, positive(c.server.drain_timeout_ms)},
      {"server.access_log", &c.server.access_log},
      {"server.tenant_affinity", &c.server.tenant_affinity},
      {"server.metrics_tenant_labels",
       &c.server.metrics_tenant_labels,
       {},
       [&v = c.server.metrics_tenant_labels](const Config&) {
         // Each label has a latency histogram and cost counters per I/O thread, from the start, and its
         // series in every scrape.
         return std::string(v < 1 ? "must be greater than 0" : v > 1000 ? "must be at most 1000" : "");
       }},
      {"server.metrics_listen",
       &c.server.metrics_listen,
       {},
       [&](const Config&) {
         return c.server.metrics_listen.empty() ? std::string() : listen_problem(c.server.metrics_listen);
       }},
      {"server.metrics_token",
       &c.server.metrics_token,
       {},
       [&](const Config&) {
         const auto n = c.server.metrics_token.size();
         return std::string(n == 0 || n >= 16 ? "" : "must be empty or at least 16 characters");
       },
       Shown::kSecret},
      {"tenancy.resolvers",
       &c.tenancy.resolvers,
       {},
       [&](const Config&) {
         for (const auto& r : c.tenancy.resolvers)
           if (r != "header" && r != "path" && r != "host" && r != "subdomain")
             return "has '" + r + "'; allowed: header, path, host, subdomain";
         return std::string();
       }},
      {"tenancy.public_hosts", &c.tenancy.public_hosts},
      {"tenancy.base_domain", &c.tenancy.base_domain},
      {"tenancy.strip_www", &c.tenancy.strip_www},
      {"tenancy.header_resolver", &c.tenancy.header_resolver},
      {"tenancy.header_trusted_networks",
       &c.tenancy.header_trusted_networks,
       {},
       [&](const Config&) { return why_invalid_trusted_networks(c.tenancy); }},
      {"tenancy.path_resolver", &c.tenancy.path_resolver},
      {"tenancy.unknown_host",
       &c.tenancy.unknown_host,
       {},
       one_of(c.tenancy.unknown_host, {"404", "public"})},
      {"tenancy.spare_schemas", &c.tenancy.spare_schemas, {}, not_negative(c.tenancy.spare_schemas)},
      {"migrations.jobs", &c.migrations.jobs, {}, positive(c.migrations.jobs)},
      {"auth.secret", &c.auth.secret, {}, {}, Shown::kSecret},
      {"auth.token_ttl_minutes",
       &c.auth.token_ttl_minutes,
       {},
       // Revocations are kept 31 days: a token must not outlive its revocation.
       [&](const Config&) {
         return std::string(c.auth.token_ttl_minutes > 0 && c.auth.token_ttl_minutes <= 31 * 24 * 60
                                ? ""
                                : "must be 1 to 44640 (31 days)");
       }},
      {"auth.admin_token_ttl_minutes",
       &c.auth.admin_token_ttl_minutes,
       {},
       [&](const Config&) {
         return std::string(c.auth.admin_token_ttl_minutes > 0 && c.auth.admin_token_ttl_minutes <= 24 * 60
                                ? ""
                                : "must be 1 to 1440 (one day)");
       }},
      counter("auth.hash_threads", c.auth.hash_threads),
      counter("auth.login_per_account_per_minute", c.auth.login_per_account_per_minute),
      counter("auth.login_per_address_per_minute", c.auth.login_per_address_per_minute),
      counter("auth.signup_per_address_per_minute", c.auth.signup_per_address_per_minute),
      counter("auth.signup_per_minute", c.auth.signup_per_minute),
      counter("auth.admin_tenant_creations_per_minute", c.auth.admin_tenant_creations_per_minute),
      counter("auth.mail_per_address_per_minute", c.auth.mail_per_address_per_minute),
      counter("auth.mail_per_recipient_per_minute", c.auth.mail_per_recipient_per_minute),
      counter("auth.verification_ttl_hours", c.auth.verification_ttl_hours),
      counter("auth.invitation_ttl_hours", c.auth.invitation_ttl_hours),
      counter("auth.password_reset_ttl_minutes", c.auth.password_reset_ttl_minutes),
      counter("auth.unverified_account_hours", c.auth.unverified_account_hours),
      {"mail.backend", &c.mail.backend, {}, one_of(c.mail.backend, {"file", "smtp"})},
      {"mail.from", &c.mail.from},
      {"mail.file_dir", &c.mail.file_dir},
      {"mail.smtp_host", &c.mail.smtp_host},
      {"mail.smtp_port",
       &c.mail.smtp_port,
       {},
       [&](const Config&) {
         return std::string(c.mail.smtp_port > 0 && c.mail.smtp_port <= 65535 ? "" : "must be 1 to 65535");
       }},
      {"mail.smtp_starttls", &c.mail.smtp_starttls},
      {"mail.smtp_username", &c.mail.smtp_username},
      {"mail.smtp_password", &c.mail.smtp_password, {}, {}, Shown::kSecret},
      {"mail.smtp_timeout_ms", &c.mail.smtp_timeout_ms, {}, positive(c.mail.smtp_timeout_ms)},
      {"mail.link_base_url",
       &c.mail.link_base_url,
       {},
       [&](const Config&) {
         const auto& u = c.mail.link_base_url;
         return std::string(u.empty() || u.starts_with("http://") || u.starts_with("https://")
                                ? ""
                                : "must start with http:// or https://");
       }},
      {"log.level",
       &c.log.level,
       {},
       one_of(c.log.level, {"trace", "debug", "info", "warn", "error", "off"})},
      {"log.format", &c.log.format, {}, one_of(c.log.format, {"text", "json"})},
  };
  for (auto& setting : s) setting.env.insert(setting.env.begin(), env_name(setting.key));
  return s;
}

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

bool is_secret_key(std::string_view key) {
  std::string lower(key);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower.find("password") != std::string::npos;  // password, sslpassword
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

/// postgresql://user:password@host/db?password=...&sslpassword=...
std::string mask_uri(std::string_view uri, std::size_t authority) {
  std::string out(uri);
  const std::size_t query = std::min(out.find('?', authority), out.size());
  for (std::size_t pos = query + 1; pos < out.size();) {
    std::size_t end = std::min(out.find('&', pos), out.size());
    const std::size_t eq = out.find('=', pos);
    if (eq >= end && end > pos) {  // no key=value: perhaps the rest of a password holding an unencoded '&'
      out.replace(pos, end - pos, "***");
      end = pos + 3;
    } else if (eq < end && is_secret_key(percent_decode(std::string_view(out).substr(pos, eq - pos)))) {
      out.replace(eq + 1, end - eq - 1, "***");
      end = eq + 4;
    }
    pos = end + 1;
  }
  // The last '@' before the query ends the user info, so that a password holding an unencoded '@' or '/' is
  // still masked whole (libpq would misread such a URL, but it must not be printed either).
  const std::size_t at = query == authority ? std::string::npos : out.rfind('@', query - 1);
  if (at != std::string::npos && at >= authority)
    if (const std::size_t colon = out.find(':', authority); colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  return out;
}

/// host=h password='a b' user = u: libpq's key = value form, values quoted with '...' and escaped with '\'.
std::string mask_keywords(std::string_view s) {
  const auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (space(s[i])) {
      out += s[i++];
      continue;
    }
    const std::size_t key_start = i;
    while (i < s.size() && !space(s[i]) && s[i] != '=') ++i;
    const std::string_view key = s.substr(key_start, i - key_start);
    std::size_t eq = i;
    while (eq < s.size() && space(s[eq])) ++eq;
    if (eq == s.size() || s[eq] != '=') {
      out += "***";  // not key=value: perhaps the rest of an unquoted password with a space
      continue;
    }
    out.append(s.substr(key_start, eq + 1 - key_start));
    for (i = eq + 1; i < s.size() && space(s[i]);) out += s[i++];
    const std::size_t value_start = i;
    if (i < s.size() && s[i] == '\'') {
      for (++i; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
      ++i;
    } else {
      for (; i < s.size() && !space(s[i]); ++i)
        if (s[i] == '\\') ++i;
    }
    i = std::min(i, s.size());
    if (is_secret_key(key))
      out += "***";
    else
      out.append(s.substr(value_start, i - value_start));
  }
  return out;
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

std::string why_invalid_trusted_networks(const Config::Tenancy& tenancy) {
  for (const std::string& network : tenancy.header_trusted_networks)
    if (!IpNetwork::parse(network))
      return "has '" + network + "', which is neither an IP address nor a CIDR network such as 10.0.0.0/8";
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

std::string mask_conninfo(std::string_view conninfo) {
  for (std::string_view scheme : {"postgresql://", "postgres://"})
    if (conninfo.starts_with(scheme)) return mask_uri(conninfo, scheme.size());
  // Without '=' libpq takes the whole string as a database name.
  if (conninfo.find('=') == std::string_view::npos) return std::string(conninfo);
  return mask_keywords(conninfo);
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

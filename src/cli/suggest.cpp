#include "cli/suggest.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <numeric>

namespace tenantry::cli {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: the swap of two neighbours looks two rows back.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::size_t allowed = word.size() <= 4 ? 1 : 2;
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

namespace {

std::vector<const CLI::App*> subcommands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

const CLI::App* subcommand_named(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : subcommands_of(app))
    if (sub->check_name(name)) return sub;
  return nullptr;
}

/// The long option names `--x` of `app` and of the apps above it (CLI11 accepts the root's before a
/// subcommand only, but a suggestion from there is still the likely intent).
std::vector<std::string> long_options(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* a = &app; a; a = a->get_parent())
    for (const CLI::Option* opt : a->get_options())
      for (const auto& name : opt->get_lnames()) names.push_back("--" + name);
  return names;
}

std::string path_of(const CLI::App& app) {
  std::string path;
  for (const CLI::App* a = &app; a && a->get_parent(); a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

std::string suggestion(const std::optional<std::string>& near, const std::string& prefix = "") {
  return near ? "; did you mean '" + prefix + *near + "'?" : "";
}

}  // namespace

std::optional<std::string> explain_unknown(const CLI::App& root, int argc, const char* const* argv) {
  const CLI::App* current = &root;
  for (int i = 1; i < argc; ++i) {
    const std::string token = argv[i];
    if (token == "--") return std::nullopt;  // what follows is data (exec's SQL)
    if (token.starts_with("--")) {
      const std::string name = token.substr(0, token.find('='));
      const CLI::Option* opt = nullptr;
      for (const CLI::App* a = current; a && !opt; a = a->get_parent()) opt = a->get_option_no_throw(name);
      if (!opt)
        return "unknown option '" + name + "'" +
               (current == &root ? "" : " for 'tenantry " + path_of(*current) + "'") +
               suggestion(closest(name, long_options(*current)));
      if (opt->get_expected_min() > 0 && token.find('=') == std::string::npos) ++i;  // skip its value
      continue;
    }
    if (token.starts_with("-") && token.size() > 1) {
      const CLI::Option* opt = current->get_option_no_throw(token.substr(0, 2));
      if (opt && opt->get_expected_min() > 0 && token.size() == 2) ++i;
      continue;
    }
    if (const CLI::App* sub = subcommand_named(*current, token)) {
      current = sub;
      continue;
    }
    const auto subs = subcommands_of(*current);
    if (subs.empty()) continue;  // a positional argument of a leaf command
    std::vector<std::string> names;
    for (const CLI::App* sub : subs) names.push_back(sub->get_name());
    const std::string parent = current == &root ? "" : path_of(*current) + " ";
    return "unknown command '" + parent + token + "'" + suggestion(closest(token, names), parent) +
           " (see `tenantry " + parent + "--help`)";
  }
  return std::nullopt;
}

}  // namespace tenantry::cli

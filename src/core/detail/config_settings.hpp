#pragma once

// The settings table of tenantry.toml: each key with its target field, its environment variables and its
// check. config.cpp reads files and the environment through it, validates, compares and renders.
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "tenantry/core/config.hpp"

namespace tenantry::detail {

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

/// Every setting of `c`, its targets pointing into `c`.
std::vector<Setting> settings(Config& c);

}  // namespace tenantry::detail

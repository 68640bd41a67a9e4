#include <algorithm>
#include <array>
#include <mutex>
#include <string_view>

#include "web/detail/application_impl.hpp"

namespace tenantry::web {

namespace {
/// Settings of the sections a reload applies that are nevertheless read once at start-up.
constexpr std::array<std::string_view, 6> kStartupOnly{
    "tenancy.spare_schemas",  // the refill loop's
    "auth.secret",
    "auth.hash_threads",
    "auth.token_ttl_minutes",
    "auth.admin_token_ttl_minutes",
    "auth.unverified_account_hours",  // the housekeeping loop's
};

/// Whether a reload applies `key` to the running server: what requests read from their configuration as
/// they start (plans, throttles, tenant resolution, fleet-migration jobs), and the log level.
bool applies_live(std::string_view key) {
  const bool live_section = key == "plans" || key == "log.level" || key.starts_with("tenancy.") ||
                            key.starts_with("auth.") || key.starts_with("migrations.");
  return live_section && std::find(kStartupOnly.begin(), kStartupOnly.end(), key) == kStartupOnly.end();
}

/// `running` with the settings of `next` that apply live.
std::unique_ptr<const Config> live_part(const Config& running, const Config& next) {
  auto out = std::make_unique<Config>(running);
  out->plans = next.plans;
  out->log.level = next.log.level;
  out->tenancy = next.tenancy;
  out->auth = next.auth;
  out->migrations = next.migrations;
  out->tenancy.spare_schemas = running.tenancy.spare_schemas;
  out->auth.secret = running.auth.secret;
  out->auth.hash_threads = running.auth.hash_threads;
  out->auth.token_ttl_minutes = running.auth.token_ttl_minutes;
  out->auth.admin_token_ttl_minutes = running.auth.admin_token_ttl_minutes;
  out->auth.unverified_account_hours = running.auth.unverified_account_hours;
  return out;
}
}  // namespace

ReloadOutcome Application::reload(const Config& next) {
  validate(next);
  Impl& app = *impl_;
  std::lock_guard lock(app.reload_mutex);
  const Config& running = *app.live_config.load(std::memory_order_acquire);
  ReloadOutcome outcome;
  // Against the start-up configuration: a setting changed back by a later reload is no longer pending.
  for (auto& key : changed_settings(app.config, next))
    if (!applies_live(key)) outcome.needs_restart.push_back(std::move(key));
  for (auto& key : changed_settings(running, next))
    if (applies_live(key)) outcome.applied.push_back(std::move(key));
  if (outcome.applied.empty()) return outcome;
  app.publish_live(live_part(running, next));
  return outcome;
}

}  // namespace tenantry::web

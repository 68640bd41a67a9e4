#include "tenantry/migrations/migration_plan.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace tenantry::migrations {

std::string sha256_hex(std::string_view data) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

MigrationPlan::MigrationPlan(std::span<const App* const> apps, Scope scope) : scope_(scope) {
  std::string summary;
  for (const App* app : apps) {
    const auto sources = scope == Scope::kShared ? app->shared : app->tenant;
    for (const MigrationSource& m : sources) {
      migrations_.push_back(Migration{std::string(app->name), std::string(m.name), m.sql, sha256_hex(m.sql)});
      summary += migrations_.back().id() + ":" + migrations_.back().checksum + "\n";
    }
  }
  digest_ = sha256_hex(summary);
  std::vector<const Migration*> sorted;
  for (const auto& m : migrations_) sorted.push_back(&m);
  std::sort(sorted.begin(), sorted.end(), [](const Migration* a, const Migration* b) {
    return a->app != b->app ? a->app < b->app : a->name < b->name;
  });
  std::string history;
  for (const Migration* m : sorted) history += (history.empty() ? "" : "\n") + m->id() + ":" + m->checksum;
  history_digest_ = sha256_hex(history);
}

const Migration* MigrationPlan::find(std::string_view app, std::string_view name) const {
  for (const auto& m : migrations_)
    if (m.app == app && m.name == name) return &m;
  return nullptr;
}

}  // namespace tenantry::migrations

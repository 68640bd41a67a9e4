#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/migrations/app.hpp"

namespace tenantry::migrations {

enum class Scope { kShared, kTenant };

/// One migration to apply, with the checksum of its SQL.
struct Migration {
  std::string app;
  std::string name;
  std::string_view sql;
  std::string checksum;  // SHA-256 of the SQL, hex
  std::string id() const { return app + "/" + name; }
};

/// The ordered migrations of one scope over a set of apps (apps in the given order, each app's files in
/// numeric order), and a digest that changes whenever any of them is added, removed or edited.
class MigrationPlan {
 public:
  MigrationPlan(std::span<const App* const> apps, Scope scope);
  const std::vector<Migration>& migrations() const noexcept { return migrations_; }
  const std::string& digest() const noexcept { return digest_; }
  /// What a schema's history holds once every migration is applied, as a digest that SQL can compute from
  /// the history table too: SHA-256 (hex) of the lines `app/name:checksum` sorted bytewise, joined by `\n`.
  const std::string& history_digest() const noexcept { return history_digest_; }
  Scope scope() const noexcept { return scope_; }
  const Migration* find(std::string_view app, std::string_view name) const;

 private:
  Scope scope_;
  std::vector<Migration> migrations_;
  std::string digest_;
  std::string history_digest_;
};

std::string sha256_hex(std::string_view data);

}  // namespace tenantry::migrations

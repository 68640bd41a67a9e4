#pragma once

#include <span>
#include <string_view>

namespace tenantry::migrations {

/// One migration file as embedded in the binary at build time.
struct MigrationSource {
  std::string_view app;
  std::string_view name;  // e.g. "0001_products"
  std::string_view sql;
};

/// A unit of code with its migrations: `shared` ones run once in `public`, `tenant` ones in every tenant
/// schema. An app may have both. Declared by `tenantry_add_migrations()` in CMake.
struct App {
  std::string_view name;
  std::span<const MigrationSource> shared;
  std::span<const MigrationSource> tenant;
};

}  // namespace tenantry::migrations

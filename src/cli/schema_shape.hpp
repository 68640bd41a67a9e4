#pragma once

#include <map>
#include <string>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/pool.hpp"
#include "tenantry/db/result.hpp"
#include "tenantry/migrations/migration_plan.hpp"

namespace tenantry::cli {

/// What a schema object is.
enum class ObjectKind { kTable, kColumn, kIndex, kConstraint };
const char* to_string(ObjectKind kind);

/// One object of a schema, described the way pg_catalog prints it (type, nullability and default of a
/// column; the definition of an index or constraint), without the schema's name, so that two schemas built
/// by the same migrations describe alike.
struct SchemaObject {
  ObjectKind kind;
  std::string table;       // the table it belongs to (itself, for a table)
  std::string name;        // "products" / "products.name" / "products_sku_key" / "products.products_pkey"
  std::string definition;  // "bigint NOT NULL DEFAULT ..." / "CREATE UNIQUE INDEX ..." / "PRIMARY KEY (id)"
};

/// Every table, column, index and constraint of a schema, by kind and name.
using SchemaShape = std::map<std::pair<ObjectKind, std::string>, SchemaObject>;

/// The SQL that describes the schema named by $1. Run it with the search path on that schema (a tenant
/// session does that), so that names in it print unqualified the same way for every schema.
const char* describe_schema_sql();
SchemaShape shape_of(const db::Result& rows);

/// The shape the tenant migrations produce: applied to a scratch schema in a transaction that is rolled
/// back, so that nothing is left behind and nothing else ever sees it.
Task<SchemaShape> expected_shape(db::Pool& pool, const migrations::MigrationPlan& tenant_plan);

/// A difference between the expected shape and a schema's.
struct Drift {
  enum class Change { kMissing, kExtra, kChanged };
  Change change;
  SchemaObject object;       // the expected object (missing, changed) or the one found (extra)
  std::string found;         // changed: the definition found
  std::size_t children = 0;  // a missing or extra table: its columns, indexes and constraints, not listed
};
const char* to_string(Drift::Change change);

/// The differences, in a stable order. The columns, indexes and constraints of a table that is missing or
/// extra as a whole are folded into that table's entry (one drift, not one per column).
std::vector<Drift> diff(const SchemaShape& expected, const SchemaShape& actual);

}  // namespace tenantry::cli

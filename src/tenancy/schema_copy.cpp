#include "tenancy/detail/schema_copy.hpp"

#include <string>
#include <vector>

#include "tenantry/tenancy/errors.hpp"

namespace tenantry::tenancy::detail {

namespace {

// Read while the search path is the source schema alone: pg_get_expr, pg_get_constraintdef, pg_get_indexdef
// (pretty) and pg_get_viewdef then name the source's own objects unqualified and everything else (public,
// other schemas) qualified. Run with the target alone on the path, the same text names the copy's objects.

constexpr const char* kPartitioned =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND (c.relkind = 'p' OR c.relispartition) LIMIT 1";

// Sequences that are no identity column's (those come with their table).
constexpr const char* kSequences =
    "SELECT c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart, "
    "s.seqcache, s.seqcycle "
    "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
    "AND d.objid = c.oid AND d.deptype = 'i') ORDER BY c.relname";

// Which column owns a sequence (serial columns): dropped with it in the copy too.
constexpr const char* kSequenceOwners =
    "SELECT s.relname, t.relname, a.attname FROM pg_depend d "
    "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace n ON n.oid = s.relnamespace "
    "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = "
    "d.refobjsubid "
    "WHERE n.nspname = $1 AND t.relnamespace = n.oid AND d.classid = 'pg_class'::regclass AND d.deptype = "
    "'a' "
    "AND d.refobjsubid > 0";

constexpr const char* kTables =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.oid";

// Columns that take an INSERT (not generated), and whether they are identity columns.
constexpr const char* kColumns =
    "SELECT c.relname, a.attname, a.attidentity <> '' "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = "
    "'' "
    "ORDER BY c.oid, a.attnum";

constexpr const char* kDefaults =
    "SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
    "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
    "JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attgenerated = '' AND NOT a.attisdropped "
    "ORDER BY c.oid, a.attnum";

// Check constraints come with LIKE ... INCLUDING CONSTRAINTS; these need the copied rows first. Foreign keys
// last: they need the referenced keys.
constexpr const char* kConstraints =
    "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid, true) FROM pg_constraint k "
    "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND k.contype IN ('p', 'u', 'x', 'f') "
    "ORDER BY k.contype = 'f', c.oid, k.conname";

// Indexes of their own (not a constraint's).
constexpr const char* kIndexes =
    "SELECT pg_get_indexdef(i.indexrelid, 0, true) FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
    "WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')) "
    "ORDER BY i.indexrelid";

constexpr const char* kViews =
    "SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c JOIN pg_namespace n ON n.oid = "
    "c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v' ORDER BY c.oid";

struct Sequence {
  std::string name, type;
  std::int64_t increment, min, max, start, cache;
  bool cycle;
};

struct Column {
  std::string table, name;
  bool identity;
};

struct Statement {
  std::string table, name, definition;
};

/// What the copy needs from the source's catalog, read in one go under the source's search path.
struct SourceShape {
  std::vector<Sequence> sequences;
  std::vector<Statement> owners;  // sequence, table, column
  std::vector<std::string> tables;
  std::vector<Column> columns;
  std::vector<Statement> defaults, constraints, views;
  std::vector<std::string> indexes;
};

Task<SourceShape> read_shape(db::Transaction& tx, const db::SchemaName& source) {
  SourceShape shape;
  const db::Result partitioned = co_await tx.query(kPartitioned, source);
  if (!partitioned.empty())
    throw ProvisioningError("cannot clone '" + source.str() + "': partitioned table '" +
                            partitioned.one().get<std::string>(0) + "' (not supported)");
  const db::Result sequences = co_await tx.query(kSequences, source);
  for (auto r : sequences)
    shape.sequences.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::int64_t>(2),
                               r.get<std::int64_t>(3), r.get<std::int64_t>(4), r.get<std::int64_t>(5),
                               r.get<std::int64_t>(6), r.get<bool>(7)});
  const db::Result owners = co_await tx.query(kSequenceOwners, source);
  for (auto r : owners)
    shape.owners.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)});
  const db::Result tables = co_await tx.query(kTables, source);
  for (auto r : tables) shape.tables.push_back(r.get<std::string>(0));
  const db::Result columns = co_await tx.query(kColumns, source);
  for (auto r : columns)
    shape.columns.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<bool>(2)});
  const db::Result defaults = co_await tx.query(kDefaults, source);
  for (auto r : defaults)
    shape.defaults.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)});
  const db::Result constraints = co_await tx.query(kConstraints, source);
  for (auto r : constraints)
    shape.constraints.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)});
  const db::Result indexes = co_await tx.query(kIndexes, source);
  for (auto r : indexes) shape.indexes.push_back(r.get<std::string>(0));
  const db::Result views = co_await tx.query(kViews, source);
  for (auto r : views) shape.views.push_back({r.get<std::string>(0), {}, r.get<std::string>(1)});
  co_return shape;
}

std::string create_sequence(const db::Transaction& tx, const std::string& dst, const Sequence& s) {
  return "CREATE SEQUENCE " + dst + "." + tx.quote_identifier(s.name) + " AS " + s.type + " INCREMENT BY " +
         std::to_string(s.increment) + " MINVALUE " + std::to_string(s.min) + " MAXVALUE " +
         std::to_string(s.max) + " START WITH " + std::to_string(s.start) + " CACHE " +
         std::to_string(s.cache) + (s.cycle ? " CYCLE" : " NO CYCLE");
}

/// INSERT ... SELECT of every table's rows, with the columns that take a value.
Task<void> copy_rows(db::Transaction& tx, const SourceShape& shape, const std::string& src,
                     const std::string& dst) {
  for (const std::string& table : shape.tables) {
    std::string list;
    for (const Column& c : shape.columns)
      if (c.table == table) list += (list.empty() ? "" : ", ") + tx.quote_identifier(c.name);
    if (list.empty()) continue;
    const std::string qt = tx.quote_identifier(table);
    const std::string insert = "INSERT INTO " + dst + "." + qt + " (" + list +
                               ") OVERRIDING SYSTEM VALUE SELECT " + list + " FROM " + src + "." + qt;
    co_await tx.execute_script(insert);
  }
}

/// Sequences continue where the source's are: the next value in the copy is the one the source would give.
/// Read after the rows were copied, so that no copied id is past it even while the source takes writes.
Task<void> set_sequence_values(db::Transaction& tx, const SourceShape& shape, const std::string& src,
                               const std::string& dst) {
  for (const Sequence& s : shape.sequences) {
    const std::string from = src + "." + tx.quote_identifier(s.name),
                      to = dst + "." + tx.quote_identifier(s.name);
    // No value (never used): it starts where the source's would.
    co_await tx.query(
        "SELECT setval($2::regclass, v, true) FROM pg_sequence_last_value($1::regclass) v WHERE v IS NOT "
        "NULL",
        from, to);
  }
  for (const Column& c : shape.columns) {
    if (!c.identity) continue;
    const std::string from = src + "." + tx.quote_identifier(c.table),
                      to = dst + "." + tx.quote_identifier(c.table);
    co_await tx.query(
        "SELECT setval(pg_get_serial_sequence($2, $3), v, true) "
        "FROM pg_sequence_last_value(pg_get_serial_sequence($1, $3)::regclass) v WHERE v IS NOT NULL",
        from, to, c.name);
  }
}

/// Sends one DDL statement alone (Citus forwards a DDL's whole query string to its workers).
Task<void> ddl(db::Transaction& tx, const std::string& statement) {
  co_await tx.execute_script(statement);
}

/// The copy's objects, without keys and indexes: those come after the rows.
Task<void> create_objects(db::Transaction& tx, const SourceShape& shape, const std::string& src,
                          const std::string& dst) {
  for (const Sequence& s : shape.sequences) {
    const std::string statement = create_sequence(tx, dst, s);
    co_await ddl(tx, statement);
  }
  // Defaults are set below from their text: LIKE would copy them pointing at the source's sequences.
  for (const std::string& table : shape.tables) {
    const std::string statement = "CREATE TABLE " + dst + "." + tx.quote_identifier(table) + " (LIKE " + src +
                                  "." + tx.quote_identifier(table) +
                                  " INCLUDING ALL EXCLUDING INDEXES EXCLUDING DEFAULTS)";
    co_await ddl(tx, statement);
  }
  for (const Statement& d : shape.defaults) {
    const std::string statement = "ALTER TABLE " + dst + "." + tx.quote_identifier(d.table) +
                                  " ALTER COLUMN " + tx.quote_identifier(d.name) + " SET DEFAULT " +
                                  d.definition;
    co_await ddl(tx, statement);
  }
  for (const Statement& o : shape.owners) {  // sequence, table, column
    const std::string statement = "ALTER SEQUENCE " + dst + "." + tx.quote_identifier(o.table) +
                                  " OWNED BY " + dst + "." + tx.quote_identifier(o.name) + "." +
                                  tx.quote_identifier(o.definition);
    co_await ddl(tx, statement);
  }
}

/// Keys, indexes and views, once the rows are in: each index is built once instead of row by row.
Task<void> create_keys_and_views(db::Transaction& tx, const SourceShape& shape, const std::string& dst) {
  for (const Statement& k : shape.constraints) {
    const std::string statement = "ALTER TABLE " + dst + "." + tx.quote_identifier(k.table) +
                                  " ADD CONSTRAINT " + tx.quote_identifier(k.name) + " " + k.definition;
    co_await ddl(tx, statement);
  }
  for (const std::string& index : shape.indexes) co_await ddl(tx, index);
  for (const Statement& v : shape.views) {
    const std::string statement =
        "CREATE VIEW " + dst + "." + tx.quote_identifier(v.table) + " AS " + v.definition;
    co_await ddl(tx, statement);
  }
}

}  // namespace

Task<void> copy_schema(db::Transaction& tx, const db::SchemaName& source, const db::SchemaName& target) {
  const std::string src = tx.quote_identifier(source.str()), dst = tx.quote_identifier(target.str());
  const db::Result path = co_await tx.query("SELECT current_setting('search_path')");
  const std::string caller_path = path.one().get<std::string>(0);
  co_await tx.query("SELECT set_config('search_path', $1, true)", src);
  const SourceShape shape = co_await read_shape(tx, source);
  co_await tx.query("SELECT set_config('search_path', $1, true)", dst);
  co_await create_objects(tx, shape, src, dst);
  co_await copy_rows(tx, shape, src, dst);
  co_await set_sequence_values(tx, shape, src, dst);
  co_await create_keys_and_views(tx, shape, dst);
  co_await tx.query("SELECT set_config('search_path', $1, true)", caller_path);
}

}  // namespace tenantry::tenancy::detail

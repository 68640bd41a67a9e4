#pragma once

#include "tenantry/core/task.hpp"
#include "tenantry/db/schema_name.hpp"
#include "tenantry/db/transaction.hpp"

namespace tenantry::tenancy::detail {

/// Copies the whole of schema `source` into `target`, an empty schema the caller created in `tx`, as
/// django-tenants' clone_schema does, whatever made the objects (migrations or hand-written SQL): every
/// sequence with its current value, every table with its columns, defaults (the new schema's sequences),
/// identity and generated columns and rows, then its primary keys, unique, check and exclusion constraints,
/// foreign keys (those into `source` point into `target`), indexes (same names) and views. Each DDL statement
/// is sent alone, at top level (Citus). Partitioned tables are refused (ProvisioningError).
Task<void> copy_schema(db::Transaction& tx, const db::SchemaName& source, const db::SchemaName& target);

}  // namespace tenantry::tenancy::detail

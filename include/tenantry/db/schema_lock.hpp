#pragma once

#include <cstdint>

namespace tenantry::db {

/// The first key of the transaction-level advisory lock that guards one schema, the second being
/// hashtext(<schema name>): `pg_advisory_xact_lock(kSchemaLockClass, hashtext($1))`. The migration runner
/// takes it while it migrates a schema, the provisioner while it builds, renames or drops one, so that the
/// two never work on the same schema at once, in this process or another. 'TENT' (1413828180): a class of
/// its own, apart from advisory locks an application might take on the same database.
inline constexpr std::int32_t kSchemaLockClass = 0x54454e54;

}  // namespace tenantry::db

#pragma once

#include <functional>

#include "tenantry/core/task.hpp"
#include "tenantry/db/transaction.hpp"

namespace tenantry::tenancy {

/// Runs inside the transaction of a lifecycle action (drop, rename, a state change), after its work: what it
/// writes commits with the action or not at all, e.g. the action's audit entry (the tenancy module knows no
/// audit log: the caller passes it down). An exception rolls the action back.
using TransactionHook = std::function<Task<void>(db::Transaction&)>;

}  // namespace tenantry::tenancy

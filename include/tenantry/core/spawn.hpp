#pragma once

#include <string>

#include "tenantry/core/task.hpp"

namespace boost::asio {
class io_context;
}

namespace tenantry {

/// Starts `task` on `io` without waiting for it: a background loop (a LISTEN watcher, a refill loop). Unlike
/// a bare co_spawn with asio::detached, an exception that ends the task is logged ("<what> ended: ...")
/// rather than lost. Pass the task by value, made by a named call: `spawn(io, watcher.watch(io), "catalog
/// watcher")` (see the coroutine rule in tenantry/core/task.hpp).
void spawn(boost::asio::io_context& io, Task<void> task, std::string what);

}  // namespace tenantry

#pragma once

#include <string>

namespace tenantry::bench {

/// Reads the files bench/run leaves in `dir`, prints the results table and writes them as JSON to `out`.
/// Returns the process exit code.
int report(const std::string& dir, const std::string& out);

}  // namespace tenantry::bench

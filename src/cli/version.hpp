#pragma once

#include <string>

namespace tenantry::cli {

/// `tenantry --version`: the CMake project version, `git describe` of the source tree when it was
/// configured (when it was a git checkout), and the compiler, e.g.
/// "tenantry 0.1.0 (git 66befaa-dirty), built with GCC 12.2.0".
std::string version_text();

}  // namespace tenantry::cli

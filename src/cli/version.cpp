#include "cli/version.hpp"

// TENANTRY_VERSION and TENANTRY_GIT_DESCRIBE come from cmake/TenantryVersion.cmake, on this file only, so
// that a new commit recompiles one file.
#ifndef TENANTRY_VERSION
#define TENANTRY_VERSION "unknown"
#endif
#ifndef TENANTRY_GIT_DESCRIBE
#define TENANTRY_GIT_DESCRIBE ""
#endif

namespace tenantry::cli {

namespace {

std::string compiler() {
#if defined(__clang__)
  return "Clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " __VERSION__;
#else
  return "an unknown compiler";
#endif
}

}  // namespace

std::string version_text() {
  std::string text = "tenantry " TENANTRY_VERSION;
  const std::string git = TENANTRY_GIT_DESCRIBE;
  if (!git.empty()) text += " (git " + git + ")";
  return text + ", built with " + compiler();
}

}  // namespace tenantry::cli

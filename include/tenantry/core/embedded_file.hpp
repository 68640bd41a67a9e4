#pragma once

#include <span>
#include <string_view>

namespace tenantry {

/// A file compiled into the binary by `tenantry_embed_files()` (CMake): served without touching the disk.
struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

}  // namespace tenantry

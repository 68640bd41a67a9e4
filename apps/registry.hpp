#pragma once

#include <span>

#include "tenantry/migrations/app.hpp"
#include "tenantry/web/app.hpp"

namespace tenantry::apps {

/// The apps of this binary, in the order of their tenantry_add_app() (apps/CMakeLists.txt): a generated
/// list, never edited by hand. An app comes after those it depends on.
std::span<const web::AppDescriptor* const> descriptors();

/// The migrations of tenancy and of every app in descriptors(), in that order: they run in this order.
std::span<const migrations::App* const> installed();

}  // namespace tenantry::apps

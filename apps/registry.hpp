#pragma once

#include <span>

#include "tenantry/migrations/app.hpp"

namespace tenantry::apps {

/// The apps of this binary in dependency order: their migrations run in this order.
std::span<const migrations::App* const> installed();

}  // namespace tenantry::apps

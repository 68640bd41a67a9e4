#include "apps/registry.hpp"

#include <vector>

#include "tenantry/tenancy/tenancy_app.hpp"

namespace tenantry::apps {

std::span<const migrations::App* const> installed() {
  // Built once, at first use from start-up code (the CLI, the test fixtures), from constant descriptors.
  static const std::vector<const migrations::App*> apps = [] {
    std::vector<const migrations::App*> out{&tenancy::app()};
    for (const web::AppDescriptor* app : descriptors()) out.push_back(&app->migrations);
    return out;
  }();
  return apps;
}

}  // namespace tenantry::apps

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tenantry/core/task.hpp"
#include "tenantry/db/session.hpp"

namespace tenantry::auth {

/// One counter a request bumps: its bucket (e.g. "login:account:a@b.c") and the hits a minute it allows.
struct ThrottleRule {
  std::string bucket;
  std::int64_t per_minute = 0;
};

/// Counts one hit in every bucket of `rules` and throws ProblemError 429 `too-many-requests`, with
/// Retry-After, when any bucket is over its limit. The counters live in PostgreSQL (one-minute fixed windows,
/// one statement for all buckets), so every server process on the cluster shares them and memory stays
/// bounded however many keys an attacker makes up; expired windows are deleted by purge_throttles(). A
/// refused hit is taken back from the buckets that were not over their limit.
Task<void> throttle(const db::Session& db, const std::vector<ThrottleRule>& rules);

/// Deletes counters whose window ended; run periodically.
Task<void> purge_throttles(const db::Session& db);

}  // namespace tenantry::auth

#include "tenantry/auth/throttle.hpp"

#include <boost/json.hpp>

#include "tenantry/http/problem.hpp"

namespace tenantry::auth {

Task<void> throttle(const db::Session& db, const std::vector<ThrottleRule>& rules) {
  boost::json::array buckets;
  for (const auto& rule : rules) buckets.push_back(boost::json::value(rule.bucket));
  const std::string names = boost::json::serialize(buckets);
  // A window that ended starts again at this hit; otherwise the hit counts in the current window.
  auto counts = co_await db.query(
      "INSERT INTO public.throttle_counters AS c (bucket, window_start, hits) "
      "SELECT b, now(), 1 FROM jsonb_array_elements_text($1::jsonb) AS b "
      "ON CONFLICT (bucket) DO UPDATE SET "
      "hits = CASE WHEN c.window_start <= now() - interval '1 minute' THEN 1 ELSE c.hits + 1 END, "
      "window_start = CASE WHEN c.window_start <= now() - interval '1 minute' THEN now() ELSE c.window_start "
      "END "
      "RETURNING bucket, hits, ceil(extract(epoch FROM c.window_start + interval '1 minute' - now()))::int",
      names);
  int wait = 0;
  boost::json::array within;  // buckets this refused hit must not be charged to
  for (auto row : counts) {
    const auto bucket = row.get<std::string_view>(0);
    for (const auto& rule : rules) {
      if (rule.bucket != bucket) continue;
      if (row.get<std::int64_t>(1) > rule.per_minute)
        wait = std::max(wait, std::max(1, row.get<int>(2)));
      else
        within.push_back(boost::json::value(rule.bucket));
    }
  }
  // A refused request counts only where it was refused: one client address flooding signups must not use
  // up the overall budget of everybody else.
  if (wait > 0 && !within.empty()) {
    const std::string refund = boost::json::serialize(within);
    co_await db.query(
        "UPDATE public.throttle_counters SET hits = hits - 1 WHERE bucket IN "
        "(SELECT jsonb_array_elements_text($1::jsonb)) AND hits > 0",
        refund);
  }
  if (wait > 0)
    throw http::ProblemError(http::Problem{.type = "too-many-requests",
                                           .title = "Too many requests",
                                           .status = 429,
                                           .detail = "Try again in " + std::to_string(wait) + " s.",
                                           .retry_after = wait});
}

Task<void> purge_throttles(const db::Session& db) {
  co_await db.query("DELETE FROM public.throttle_counters WHERE window_start <= now() - interval '1 minute'");
}

}  // namespace tenantry::auth

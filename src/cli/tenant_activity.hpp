#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tenantry::cli {

/// One tenant label's counters in one scrape of /metrics (cumulative, as exposed).
struct TenantCounters {
  double requests = 0, client_errors = 0, server_errors = 0;  // all, 4xx, 5xx
  double db_seconds = 0, db_rows = 0;
  /// tenantry_tenant_request_duration_seconds buckets: upper bound (+Inf included) → cumulative count.
  std::map<double, double> latency;
};

/// A scrape, by tenant label ("other" and "-" included).
using Scrape = std::map<std::string, TenantCounters>;

/// Reads the families `tenantry top` needs from a Prometheus text exposition; other lines are skipped.
Scrape parse_scrape(std::string_view exposition);

/// What a tenant did between two scrapes, per second.
struct TenantActivity {
  std::string tenant;
  double requests = 0, client_errors = 0, server_errors = 0, db_seconds = 0, db_rows = 0;
  /// The 99th percentile latency in seconds, interpolated in its bucket like PromQL's histogram_quantile();
  /// none without requests.
  std::optional<double> p99;
};

/// The tenants with requests between `before` and `after`, `seconds` apart, busiest first.
std::vector<TenantActivity> tenant_activity(const Scrape& before, const Scrape& after, double seconds);

/// The quantile `q` (0..1) of a cumulative histogram (bound → count), as histogram_quantile() computes it.
std::optional<double> histogram_quantile(double q, const std::map<double, double>& cumulative);

}  // namespace tenantry::cli

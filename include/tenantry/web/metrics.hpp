#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tenantry/db/pool.hpp"

namespace tenantry::web {

/// One response, as the request metrics count it.
struct RequestSample {
  /// The route template that matched ("unmatched" when none did).
  std::string_view route;
  std::string_view method;
  int status = 0;
  /// The tenant's schema name; empty when the request had none.
  std::string_view tenant;
  std::chrono::nanoseconds duration{0};
  /// Database round trips made for the request: their time, the rows they returned, their statements.
  std::chrono::nanoseconds db_time{0};
  std::uint64_t db_rows = 0, db_statements = 0;
};

/// Request metrics of a server, in one shard per I/O thread: a request touches only its thread's shard, whose
/// mutex is contended only by a scrape. Rendered in Prometheus text format (every family with HELP and TYPE)
/// by render().
///
/// Tenant labels are sticky: the first `tenant_labels` tenants seen get their own label (their schema name)
/// for the life of the process, every later one counts as tenant="_other" for good, and requests without a
/// tenant as tenant="-". So a series never changes its meaning and every counter only grows, which `rate()`
/// needs; the number of series stays bounded with thousands of tenants.
class Metrics {
 public:
  Metrics(std::size_t shards, std::size_t tenant_labels);
  ~Metrics();

  /// Counts one response on `shard`. A `method` the server does not implement is counted as "other". Takes
  /// the shard's mutex once and allocates nothing once the sample's labels were seen.
  void record(std::size_t shard, const RequestSample& sample);
  /// The pool state of a thread, published by that thread for render().
  void publish_pool(std::size_t shard, const db::PoolStats& stats);

  /// Requests of one tenant in each of the last `minutes` minutes, oldest first.
  std::vector<std::uint64_t> tenant_rate(std::string_view tenant, int minutes = 60) const;
  std::uint64_t tenant_requests(std::string_view tenant) const;
  /// Prometheus text exposition; `extra` (already formatted families, with HELP and TYPE) is appended,
  /// then the process_* families and tenantry_build_info.
  std::string render(const std::string& extra = {}) const;

  /// Upper bounds (seconds) of the latency histograms' buckets; +Inf is implied.
  static constexpr std::array<double, 14> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

  /// A latency histogram: per-bucket (not cumulative) counts, the last one above every bound.
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size() + 1> buckets{};
    double sum = 0;
    void add(double seconds);
    void merge(const Histogram& other);
  };

 private:
  struct Labels;
  struct Shard;
  std::unique_ptr<Labels> labels_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

/// Prometheus label value escaping (backslash, quote, newline).
std::string prometheus_label(std::string_view value);

/// Appends the process_* families (resident and virtual memory, CPU time, open and maximum descriptors,
/// start time), read from /proc/self, and tenantry_build_info, each with HELP and TYPE.
void append_process_metrics(std::string& out);

}  // namespace tenantry::web

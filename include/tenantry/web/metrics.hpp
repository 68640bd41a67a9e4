#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "tenantry/db/pool.hpp"

namespace tenantry::web {

/// Request metrics of a server, in one shard per I/O thread: a request touches only its thread's shard, whose
/// mutex is contended only by a scrape. Rendered in Prometheus text format by render().
class Metrics {
 public:
  /// `tenant_labels`: how many tenants get their own label (the busiest, by request count); the rest are
  /// summed under tenant="other", which keeps the number of series bounded with thousands of tenants.
  Metrics(std::size_t shards, std::size_t tenant_labels);

  /// A `method` the server does not implement is counted as "other".
  void record(std::size_t shard, std::string_view route, std::string_view method, int status,
              std::string_view tenant, std::chrono::nanoseconds duration);
  /// The pool state of a thread, published by that thread for render().
  void publish_pool(std::size_t shard, const db::PoolStats& stats);

  /// Requests of one tenant in each of the last `minutes` minutes, oldest first.
  std::vector<std::uint64_t> tenant_rate(std::string_view tenant, int minutes = 60) const;
  std::uint64_t tenant_requests(std::string_view tenant) const;
  /// Prometheus text exposition; `extra` (already formatted lines) is appended.
  std::string render(const std::string& extra = {}) const;

  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct TenantRate {
    std::array<std::uint64_t, 60> per_minute{};
    std::int64_t last_minute = 0;
  };
  /// A request counter's labels; looked up through RequestLabels views, so that counting a request
  /// allocates nothing once its labels were seen (with thousands of tenants this is on every request's path).
  struct RequestLabels {
    std::string_view route, method;
    int status;
    std::string_view tenant;
    bool operator==(const RequestLabels&) const = default;
  };
  struct RequestKey {
    std::string route, method;
    int status;
    std::string tenant;
    operator RequestLabels() const { return {route, method, status, tenant}; }
  };
  struct LabelsHash {
    using is_transparent = void;
    std::size_t operator()(const RequestLabels& l) const;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct LabelsEqual {
    using is_transparent = void;
    bool operator()(const RequestLabels& a, const RequestLabels& b) const { return a == b; }
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<RequestKey, std::uint64_t, LabelsHash, LabelsEqual> requests;
    std::map<std::string, Histogram, std::less<>> latency;  // by route
    std::unordered_map<std::string, TenantRate, LabelsHash, LabelsEqual> rates;
    db::PoolStats pool;
  };
  std::vector<std::unique_ptr<Shard>> shards_;
  std::size_t tenant_labels_;
};

/// Prometheus label value escaping (backslash, quote, newline).
std::string prometheus_label(std::string_view value);

}  // namespace tenantry::web

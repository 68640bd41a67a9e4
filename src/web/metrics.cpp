#include "tenantry/web/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>

#include "tenantry/http/request.hpp"

namespace tenantry::web {

namespace {

std::int64_t minute_now() {
  return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// The value under `view`, added (keyed by `make_key()`) on first sight: no allocation once seen.
template <typename Map, typename View, typename MakeKey>
typename Map::mapped_type& find_or_add(Map& map, const View& view, MakeKey make_key) {
  auto it = map.find(view);
  if (it == map.end()) it = map.emplace(make_key(), typename Map::mapped_type{}).first;
  return it->second;
}

/// Writes the exposition: a family's HELP and TYPE, then its samples.
class Exposition {
 public:
  explicit Exposition(std::string& out) : out_(out) {}
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  template <typename Value>
  void sample(std::string_view name, std::string_view labels, Value value) {
    if (labels.empty())
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    else
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
  }
  /// The _bucket, _sum and _count samples of one histogram; `labels` come before le.
  void histogram(std::string_view name, const std::string& labels, const Metrics::Histogram& h) {
    std::uint64_t cumulative = 0;
    const std::string prefix = labels.empty() ? std::string() : labels + ",";
    for (std::size_t i = 0; i < Metrics::kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}le=\"{}\"}} {}\n", name, prefix,
                     Metrics::kBuckets[i], cumulative);
    }
    cumulative += h.buckets.back();
    fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}le=\"+Inf\"}} {}\n", name, prefix, cumulative);
    sample(std::string(name) + "_sum", labels, h.sum);
    sample(std::string(name) + "_count", labels, cumulative);
  }

 private:
  std::string& out_;
};

/// The pools' counters: summed over the I/O threads at a scrape, and kept monotonic by publish_pool().
struct PoolCounter {
  std::uint64_t db::PoolStats::*field;
  const char* name;
  const char* help;
};
constexpr PoolCounter kPoolCounters[] = {
    {&db::PoolStats::round_trips, "tenantry_db_round_trips_total",
     "Database round trips (one flush, read to its sync)."},
    {&db::PoolStats::search_path_switches, "tenantry_db_search_path_switches_total",
     "search_path switches sent ahead of statements (pipelined, no round trip of their own)."},
    {&db::PoolStats::statements, "tenantry_db_statements_total", "Statements executed by the request pools."},
    {&db::PoolStats::prepares, "tenantry_db_prepares_total",
     "Statements prepared (per connection and tenant schema)."},
    {&db::PoolStats::connects, "tenantry_db_connects_total",
     "Database connections opened by the request pools."},
    {&db::PoolStats::acquired, "tenantry_db_acquisitions_total", "Connections leased by requests."},
    {&db::PoolStats::discarded, "tenantry_db_discarded_connections_total",
     "Connections closed as broken or worn out (database.max_connection_uses)."},
    {&db::PoolStats::affinity_hits, "tenantry_db_affinity_hits_total",
     "Acquisitions served by one of the tenant's home connections."},
    {&db::PoolStats::affinity_spills, "tenantry_db_affinity_spills_total",
     "Acquisitions that took another connection after database.affinity_wait_ms."},
    {&db::PoolStats::timeouts, "tenantry_db_acquire_timeouts_total",
     "Acquisitions that gave up after database.acquire_timeout_ms (503 database-busy)."},
    {&db::PoolStats::tenant_cap_waits, "tenantry_db_tenant_cap_waits_total",
     "Acquisitions that waited because their tenant held database.max_connections_per_tenant connections."},
    {&db::PoolStats::connect_failures, "tenantry_db_connect_failures_total",
     "Connections the request pools failed to open (e.g. at PostgreSQL's max_connections)."},
    {&db::PoolStats::connect_fallbacks, "tenantry_db_connect_fallbacks_total",
     "Acquisitions served by an already open connection after a connection failed to open."},
};

void render_pools(Exposition& out, const std::vector<db::PoolStats>& pools) {
  out.family("tenantry_db_pool_connections", "gauge", "Connections of each I/O thread's pool, by state.");
  for (std::size_t i = 0; i < pools.size(); ++i) {
    out.sample("tenantry_db_pool_connections", fmt::format("thread=\"{}\",state=\"in_use\"", i),
               pools[i].in_use);
    out.sample("tenantry_db_pool_connections", fmt::format("thread=\"{}\",state=\"idle\"", i), pools[i].idle);
    out.sample("tenantry_db_pool_connections", fmt::format("thread=\"{}\",state=\"waiting\"", i),
               pools[i].waiting);
  }
  db::PoolStats sum;
  for (const auto& p : pools) sum += p;
  for (const auto& counter : kPoolCounters) {
    out.family(counter.name, "counter", counter.help);
    out.sample(counter.name, "", sum.*counter.field);
  }
}

}  // namespace

std::string prometheus_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Metrics::Histogram::add(double seconds) {
  // le is "less than or equal": the first bound not below the value.
  const auto at = std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds);
  ++buckets[static_cast<std::size_t>(at - kBuckets.begin())];
  sum += seconds;
}

void Metrics::Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  sum += other.sum;
}

/// Which tenants have their own label: handed out on first sight, for the life of the process. Consulted
/// once per tenant per shard (shards cache the answer), so its mutex is off the hot path.
struct Metrics::Labels {
  explicit Labels(std::size_t capacity) : capacity(capacity) {}
  /// Label indexes: 0..capacity-1 named tenants, then "_other", then "-" (no tenant). Neither can be a
  /// schema name (those start with a letter), so no tenant's series can be mistaken for them.
  std::size_t other() const { return capacity; }
  std::size_t none() const { return capacity + 1; }
  std::size_t count() const { return capacity + 2; }

  std::size_t assign(std::string_view tenant) {
    std::lock_guard lock(mutex);
    if (auto it = assigned.find(tenant); it != assigned.end()) return it->second;
    if (names.size() == capacity) return other();
    names.emplace_back(tenant);
    assigned.emplace(std::string(tenant), names.size() - 1);
    return names.size() - 1;
  }
  std::vector<std::string> label_names() const {
    std::vector<std::string> out;
    {
      std::lock_guard lock(mutex);
      out = names;
    }
    out.resize(capacity);
    out.emplace_back("_other");
    out.emplace_back("-");
    return out;
  }

  const std::size_t capacity;
  mutable std::mutex mutex;
  std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> assigned;
  std::vector<std::string> names;
};

namespace {

/// A request counter's labels; looked up through views, so that counting a request allocates nothing once
/// its labels were seen.
struct RequestLabels {
  std::string_view route, method;
  int status;
  std::size_t tenant;
  bool operator==(const RequestLabels&) const = default;
};
struct RequestKey {
  std::string route, method;
  int status;
  std::size_t tenant;
  operator RequestLabels() const { return {route, method, status, tenant}; }
};
struct RequestHash {
  using is_transparent = void;
  std::size_t operator()(const RequestLabels& l) const {
    std::size_t h = std::hash<std::string_view>{}(l.route);
    for (std::size_t part : {std::hash<std::string_view>{}(l.method), std::hash<int>{}(l.status), l.tenant})
      h ^= part + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
  }
};
struct RequestEqual {
  using is_transparent = void;
  bool operator()(const RequestLabels& a, const RequestLabels& b) const { return a == b; }
};

struct TenantRate {
  std::array<std::uint64_t, 60> per_minute{};
  std::int64_t last_minute = 0;
  void add(std::int64_t minute) {
    if (minute != last_minute) {
      // Clear the minutes skipped since the last request.
      for (auto m = std::max(last_minute + 1, minute - 59); m <= minute; ++m) per_minute[m % 60] = 0;
      last_minute = minute;
    }
    ++per_minute[minute % 60];
  }
};

/// What a shard knows of one tenant (by schema name): its label, and its own request rate for the console.
struct TenantEntry {
  std::size_t label = 0;
  std::uint64_t requests = 0;
  TenantRate rate;
};

struct DbCost {
  std::uint64_t nanoseconds = 0, rows = 0, statements = 0;
};

}  // namespace

struct Metrics::Shard {
  explicit Shard(std::size_t labels) : tenant_latency(labels), db(labels) {}
  mutable std::mutex mutex;
  std::unordered_map<RequestKey, std::uint64_t, RequestHash, RequestEqual> requests;
  std::unordered_map<std::string, Histogram, StringHash, std::equal_to<>> route_latency;
  std::vector<Histogram> tenant_latency;  // by label index
  std::vector<DbCost> db;                 // by label index
  std::unordered_map<std::string, TenantEntry, StringHash, std::equal_to<>> tenants;
  db::PoolStats pool;
};

Metrics::Metrics(std::size_t shards, std::size_t tenant_labels)
    : labels_(std::make_unique<Labels>(tenant_labels)) {
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(labels_->count()));
}

Metrics::~Metrics() = default;

void Metrics::record(std::size_t shard, const RequestSample& sample) {
  // A label from a fixed set: a client must not be able to add a series per method string it makes up.
  const std::string_view method = http::implemented_method(sample.method) ? sample.method : "other";
  const double seconds = std::chrono::duration<double>(sample.duration).count();
  Shard& s = *shards_[shard];
  std::lock_guard lock(s.mutex);
  std::size_t label = labels_->none();
  if (!sample.tenant.empty()) {
    auto it = s.tenants.find(sample.tenant);
    if (it == s.tenants.end()) {
      it = s.tenants.emplace(std::string(sample.tenant), TenantEntry{}).first;
      it->second.label = labels_->assign(sample.tenant);
    }
    label = it->second.label;
    ++it->second.requests;
    it->second.rate.add(minute_now());
  }
  ++find_or_add(s.requests, RequestLabels{sample.route, method, sample.status, label}, [&] {
    return RequestKey{std::string(sample.route), std::string(method), sample.status, label};
  });
  find_or_add(s.route_latency, sample.route, [&] { return std::string(sample.route); }).add(seconds);
  s.tenant_latency[label].add(seconds);
  DbCost& cost = s.db[label];
  cost.nanoseconds += static_cast<std::uint64_t>(sample.db_time.count());
  cost.rows += sample.db_rows;
  cost.statements += sample.db_statements;
}

void Metrics::publish_pool(std::size_t shard, const db::PoolStats& stats) {
  Shard& s = *shards_[shard];
  std::lock_guard lock(s.mutex);
  // Pool::stats() sums the traffic of idle and closed connections, not of those leased at that moment, so
  // its totals dip while a connection is out. Every snapshot is at most the true total, which only grows:
  // the largest seen is a counter that never goes down and catches up when the connection comes back.
  const db::PoolStats before = s.pool;
  s.pool = stats;
  for (const auto& counter : kPoolCounters)
    s.pool.*counter.field = std::max(before.*counter.field, stats.*counter.field);
}

std::vector<std::uint64_t> Metrics::tenant_rate(std::string_view tenant, int minutes) const {
  minutes = std::clamp(minutes, 1, 60);
  const auto now = minute_now();
  std::vector<std::uint64_t> out(static_cast<std::size_t>(minutes), 0);
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    auto it = shard->tenants.find(tenant);
    if (it == shard->tenants.end()) continue;
    const TenantRate& rate = it->second.rate;
    for (int i = 0; i < minutes; ++i) {
      const auto m = now - (minutes - 1 - i);
      if (m <= rate.last_minute && m > rate.last_minute - 60)
        out[static_cast<std::size_t>(i)] += rate.per_minute[m % 60];
    }
  }
  return out;
}

std::uint64_t Metrics::tenant_requests(std::string_view tenant) const {
  std::uint64_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    if (auto it = shard->tenants.find(tenant); it != shard->tenants.end()) total += it->second.requests;
  }
  return total;
}

std::string Metrics::render(const std::string& extra) const {
  // Merged over the shards, in a stable order (std::map) so that a scrape reads the same way each time.
  std::map<std::tuple<std::string, std::string, int, std::size_t>, std::uint64_t> requests;
  std::map<std::string, Histogram> route_latency;
  std::vector<Histogram> tenant_latency(labels_->count());
  std::vector<DbCost> db(labels_->count());
  std::vector<db::PoolStats> pools;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (const auto& [key, count] : shard->requests)
      requests[{key.route, key.method, key.status, key.tenant}] += count;
    for (const auto& [route, h] : shard->route_latency) route_latency[route].merge(h);
    for (std::size_t i = 0; i < tenant_latency.size(); ++i) {
      tenant_latency[i].merge(shard->tenant_latency[i]);
      db[i].nanoseconds += shard->db[i].nanoseconds;
      db[i].rows += shard->db[i].rows;
      db[i].statements += shard->db[i].statements;
    }
    pools.push_back(shard->pool);
  }
  // After the shards: a label assigned meanwhile is named here, never missing.
  const std::vector<std::string> names = labels_->label_names();
  std::vector<std::string> tenant_labels;
  for (const auto& name : names) tenant_labels.push_back("tenant=\"" + prometheus_label(name) + "\"");
  // Series of labels not yet handed out are left out, the way a series appears on its first request.
  auto in_use = [&](std::size_t label) { return label >= labels_->capacity || !names[label].empty(); };

  std::string text;
  Exposition out(text);
  out.family("tenantry_http_requests_total", "counter",
             fmt::format("Responses sent, by route template, method, status and tenant (the first {} tenants "
                         "seen by name, later ones as \"_other\", \"-\" for none).",
                         labels_->capacity));
  for (const auto& [key, count] : requests) {
    const auto& [route, method, status, tenant] = key;
    out.sample("tenantry_http_requests_total",
               fmt::format("route=\"{}\",method=\"{}\",status=\"{}\",{}", prometheus_label(route),
                           prometheus_label(method), status, tenant_labels[tenant]),
               count);
  }
  out.family("tenantry_http_request_duration_seconds", "histogram",
             "Time from a request's first byte to its response ready, by route template.");
  for (const auto& [route, h] : route_latency)
    out.histogram("tenantry_http_request_duration_seconds", "route=\"" + prometheus_label(route) + "\"", h);
  out.family("tenantry_tenant_request_duration_seconds", "histogram",
             "Time from a request's first byte to its response ready, by tenant label.");
  for (std::size_t i = 0; i < tenant_latency.size(); ++i)
    if (in_use(i))
      out.histogram("tenantry_tenant_request_duration_seconds", tenant_labels[i], tenant_latency[i]);
  out.family("tenantry_db_seconds_total", "counter",
             "Time requests spent in database round trips (sent to last result), by tenant label.");
  for (std::size_t i = 0; i < db.size(); ++i)
    if (in_use(i)) out.sample("tenantry_db_seconds_total", tenant_labels[i], db[i].nanoseconds / 1e9);
  out.family("tenantry_db_rows_total", "counter", "Rows the database returned to requests, by tenant label.");
  for (std::size_t i = 0; i < db.size(); ++i)
    if (in_use(i)) out.sample("tenantry_db_rows_total", tenant_labels[i], db[i].rows);
  out.family("tenantry_db_tenant_statements_total", "counter",
             "Statements requests ran (schema switches not included), by tenant label.");
  for (std::size_t i = 0; i < db.size(); ++i)
    if (in_use(i)) out.sample("tenantry_db_tenant_statements_total", tenant_labels[i], db[i].statements);

  render_pools(out, pools);

  text += extra;
  append_process_metrics(text);
  return text;
}

}  // namespace tenantry::web

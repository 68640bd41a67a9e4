#include "tenantry/web/metrics.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "tenantry/http/request.hpp"

namespace tenantry::web {

namespace {
std::int64_t minute_now() {
  return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::system_clock::now().time_since_epoch())
      .count();
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

Metrics::Metrics(std::size_t shards, std::size_t tenant_labels) : tenant_labels_(tenant_labels) {
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

namespace {
/// The value under `view`, added (keyed by `make_key()`) on first sight: no allocation once seen.
template <typename Map, typename View, typename MakeKey>
typename Map::mapped_type& find_or_add(Map& map, const View& view, MakeKey make_key) {
  auto it = map.find(view);
  if (it == map.end()) it = map.emplace(make_key(), typename Map::mapped_type{}).first;
  return it->second;
}
}  // namespace

std::size_t Metrics::LabelsHash::operator()(const RequestLabels& l) const {
  std::size_t h = std::hash<std::string_view>{}(l.route);
  for (std::size_t part : {std::hash<std::string_view>{}(l.method), std::hash<int>{}(l.status),
                           std::hash<std::string_view>{}(l.tenant)})
    h ^= part + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

void Metrics::record(std::size_t shard, std::string_view route, std::string_view method, int status,
                     std::string_view tenant, std::chrono::nanoseconds duration) {
  // A label from a fixed set: a client must not be able to add a series per method string it makes up.
  if (!http::implemented_method(method)) method = "other";
  const double seconds = std::chrono::duration<double>(duration).count();
  const auto minute = minute_now();
  Shard& s = *shards_[shard];
  std::lock_guard lock(s.mutex);
  ++find_or_add(s.requests, RequestLabels{route, method, status, tenant}, [&] {
    return RequestKey{std::string(route), std::string(method), status, std::string(tenant)};
  });
  Histogram& h = find_or_add(s.latency, route, [&] { return std::string(route); });
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
  if (tenant.empty() || tenant == "-") return;
  TenantRate& rate = find_or_add(s.rates, tenant, [&] { return std::string(tenant); });
  if (minute != rate.last_minute) {
    // Clear the minutes skipped since the last request.
    for (auto m = std::max(rate.last_minute + 1, minute - 59); m <= minute; ++m) rate.per_minute[m % 60] = 0;
    rate.last_minute = minute;
  }
  ++rate.per_minute[minute % 60];
}

void Metrics::publish_pool(std::size_t shard, const db::PoolStats& stats) {
  Shard& s = *shards_[shard];
  std::lock_guard lock(s.mutex);
  s.pool = stats;
}

std::vector<std::uint64_t> Metrics::tenant_rate(std::string_view tenant, int minutes) const {
  minutes = std::clamp(minutes, 1, 60);
  const auto now = minute_now();
  std::vector<std::uint64_t> out(static_cast<std::size_t>(minutes), 0);
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    auto it = shard->rates.find(tenant);
    if (it == shard->rates.end()) continue;
    for (int i = 0; i < minutes; ++i) {
      const auto m = now - (minutes - 1 - i);
      if (m <= it->second.last_minute && m > it->second.last_minute - 60)
        out[static_cast<std::size_t>(i)] += it->second.per_minute[m % 60];
    }
  }
  return out;
}

std::uint64_t Metrics::tenant_requests(std::string_view tenant) const {
  std::uint64_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (const auto& [key, count] : shard->requests)
      if (key.tenant == tenant) total += count;
  }
  return total;
}

std::string Metrics::render(const std::string& extra) const {
  std::map<std::tuple<std::string, std::string, int, std::string>, std::uint64_t> requests;
  std::map<std::string, Histogram> latency;
  std::vector<db::PoolStats> pools;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (const auto& [key, count] : shard->requests)
      requests[{key.route, key.method, key.status, key.tenant}] += count;
    for (const auto& [route, h] : shard->latency) {
      Histogram& total = latency[route];
      for (std::size_t i = 0; i < kBuckets.size(); ++i) total.buckets[i] += h.buckets[i];
      total.count += h.count;
      total.sum += h.sum;
    }
    pools.push_back(shard->pool);
  }
  // The busiest tenants keep their name; the others are summed under "other".
  std::map<std::string, std::uint64_t> per_tenant;
  for (const auto& [key, count] : requests)
    if (std::get<3>(key) != "-") per_tenant[std::get<3>(key)] += count;
  std::vector<std::pair<std::string, std::uint64_t>> ranked(per_tenant.begin(), per_tenant.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::set<std::string> named;
  for (std::size_t i = 0; i < ranked.size() && i < tenant_labels_; ++i) named.insert(ranked[i].first);
  std::map<std::tuple<std::string, std::string, int, std::string>, std::uint64_t> labelled;
  for (const auto& [key, count] : requests) {
    auto k = key;
    if (std::get<3>(k) != "-" && !named.count(std::get<3>(k))) std::get<3>(k) = "other";
    labelled[k] += count;
  }

  std::ostringstream out;
  out << "# HELP tenantry_http_requests_total Requests served, by route template, method, status and tenant "
         "(the "
      << tenant_labels_ << " busiest tenants by name, the rest as \"other\", \"-\" for none).\n"
      << "# TYPE tenantry_http_requests_total counter\n";
  for (const auto& [key, count] : labelled)
    out << "tenantry_http_requests_total{route=\"" << prometheus_label(std::get<0>(key)) << "\",method=\""
        << prometheus_label(std::get<1>(key)) << "\",status=\"" << std::get<2>(key) << "\",tenant=\""
        << prometheus_label(std::get<3>(key)) << "\"} " << count << "\n";
  out << "# HELP tenantry_http_request_duration_seconds Time from request parsed to response ready, by "
         "route.\n"
      << "# TYPE tenantry_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency) {
    const std::string label = prometheus_label(route);
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out << "tenantry_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"" << kBuckets[i]
          << "\"} " << h.buckets[i] << "\n";
    out << "tenantry_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} " << h.count
        << "\n"
        << "tenantry_http_request_duration_seconds_sum{route=\"" << label << "\"} " << h.sum << "\n"
        << "tenantry_http_request_duration_seconds_count{route=\"" << label << "\"} " << h.count << "\n";
  }
  out << "# HELP tenantry_db_pool_connections Connections of each I/O thread's pool, by state.\n"
      << "# TYPE tenantry_db_pool_connections gauge\n";
  for (std::size_t i = 0; i < pools.size(); ++i)
    out << "tenantry_db_pool_connections{thread=\"" << i << "\",state=\"in_use\"} " << pools[i].in_use << "\n"
        << "tenantry_db_pool_connections{thread=\"" << i << "\",state=\"idle\"} " << pools[i].idle << "\n"
        << "tenantry_db_pool_connections{thread=\"" << i << "\",state=\"waiting\"} " << pools[i].waiting
        << "\n";
  db::PoolStats sum;
  for (const auto& p : pools) {
    sum.round_trips += p.round_trips;
    sum.search_path_switches += p.search_path_switches;
    sum.statements += p.statements;
    sum.prepares += p.prepares;
    sum.connects += p.connects;
    sum.affinity_hits += p.affinity_hits;
    sum.affinity_spills += p.affinity_spills;
    sum.timeouts += p.timeouts;
  }
  const std::pair<const char*, std::uint64_t> counters[] = {
      {"tenantry_db_round_trips_total", sum.round_trips},
      {"tenantry_db_search_path_switches_total", sum.search_path_switches},
      {"tenantry_db_statements_total", sum.statements},
      {"tenantry_db_prepares_total", sum.prepares},
      {"tenantry_db_connects_total", sum.connects},
      {"tenantry_db_affinity_hits_total", sum.affinity_hits},
      {"tenantry_db_affinity_spills_total", sum.affinity_spills},
      {"tenantry_db_acquire_timeouts_total", sum.timeouts}};
  for (const auto& [name, value] : counters)
    out << "# TYPE " << name << " counter\n" << name << " " << value << "\n";
  out << extra;
  return out.str();
}

}  // namespace tenantry::web

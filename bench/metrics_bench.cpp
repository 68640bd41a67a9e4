// Request metrics: our Metrics (record() on every request, render() on every scrape) against prometheus-cpp
// doing the same work, to decide which exposition code to keep (docs/operations.md, "Metrics reference").
//
// The workload: 200 tenants over 12 routes, 20 tenant labels, statuses 200/201/404, one request = one
// requests counter, a route histogram, a tenant histogram and three database counters. prometheus-cpp is
// measured the way its API is used (Family::Add with the labels on each request) and with the Counter and
// Histogram references cached by the caller (the best it can do; we would then keep our own lookup anyway).
// Built when prometheus-cpp is installed (Debian: prometheus-cpp-dev); ours always.
#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <vector>

#include "tenantry/web/metrics.hpp"

#ifdef TENANTRY_BENCH_PROMETHEUS_CPP
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <unordered_map>
#endif

namespace {

using tenantry::web::Metrics;
using tenantry::web::RequestSample;

constexpr std::size_t kTenants = 200, kRoutes = 12, kLabels = 20;
constexpr std::array<int, 3> kStatuses{200, 201, 404};

struct Workload {
  std::vector<std::string> tenants, routes;
  Workload() {
    for (std::size_t i = 0; i < kTenants; ++i) tenants.push_back("store" + std::to_string(i));
    for (std::size_t i = 0; i < kRoutes; ++i)
      routes.push_back("/api/resource" + std::to_string(i) + "/{id:int}");
  }
  RequestSample sample(std::size_t i) const {
    return {.route = routes[i % kRoutes],
            .method = "GET",
            .status = kStatuses[i % kStatuses.size()],
            .tenant = tenants[(i * 7) % kTenants],
            .duration = std::chrono::microseconds(200 + (i % 50) * 40),
            .db_time = std::chrono::microseconds(150),
            .db_rows = 3,
            .db_statements = 2};
  }
};

const Workload& workload() {
  static const Workload w;
  return w;
}

void fill(Metrics& m, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) m.record(0, workload().sample(i));
}

void BM_OursRecord(benchmark::State& state) {
  Metrics m(1, kLabels);
  fill(m, 10'000);  // every series seen: the steady state of a running server
  std::size_t i = 0;
  for (auto _ : state) m.record(0, workload().sample(i++));
}
BENCHMARK(BM_OursRecord);

void BM_OursRender(benchmark::State& state) {
  Metrics m(2, kLabels);
  fill(m, 10'000);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = m.render();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_OursRender);

#ifdef TENANTRY_BENCH_PROMETHEUS_CPP

const std::vector<double>& boundaries() {
  static const std::vector<double> b(Metrics::kBuckets.begin(), Metrics::kBuckets.end());
  return b;
}

/// The same families as ours. The tenant label is still ours to choose (prometheus-cpp has no notion of a
/// bounded label): the first kLabels tenants by name, else "_other", as our Metrics does.
struct PrometheusCpp {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter().Name("tenantry_http_requests_total").Help("Responses.").Register(registry);
  prometheus::Family<prometheus::Histogram>& route_latency =
      prometheus::BuildHistogram()
          .Name("tenantry_http_request_duration_seconds")
          .Help("Latency.")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& tenant_latency =
      prometheus::BuildHistogram()
          .Name("tenantry_tenant_request_duration_seconds")
          .Help("Latency.")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& db_seconds =
      prometheus::BuildCounter().Name("tenantry_db_seconds_total").Help("DB time.").Register(registry);
  prometheus::Family<prometheus::Counter>& db_rows =
      prometheus::BuildCounter().Name("tenantry_db_rows_total").Help("DB rows.").Register(registry);
  prometheus::Family<prometheus::Counter>& db_statements = prometheus::BuildCounter()
                                                               .Name("tenantry_db_tenant_statements_total")
                                                               .Help("DB statements.")
                                                               .Register(registry);

  static std::string label(std::string_view tenant) {
    // store0..store19 are the first seen in this workload.
    const auto n = std::stoul(std::string(tenant.substr(5)));
    return n < kLabels ? std::string(tenant) : "_other";
  }
  void record(const RequestSample& s) {
    const std::string tenant = label(s.tenant);
    const double seconds = std::chrono::duration<double>(s.duration).count();
    requests
        .Add({{"route", std::string(s.route)},
              {"method", std::string(s.method)},
              {"status", std::to_string(s.status)},
              {"tenant", tenant}})
        .Increment();
    route_latency.Add({{"route", std::string(s.route)}}, boundaries()).Observe(seconds);
    tenant_latency.Add({{"tenant", tenant}}, boundaries()).Observe(seconds);
    db_seconds.Add({{"tenant", tenant}}).Increment(std::chrono::duration<double>(s.db_time).count());
    db_rows.Add({{"tenant", tenant}}).Increment(static_cast<double>(s.db_rows));
    db_statements.Add({{"tenant", tenant}}).Increment(static_cast<double>(s.db_statements));
  }
};

void BM_PrometheusCppRecord(benchmark::State& state) {
  PrometheusCpp p;
  for (std::size_t i = 0; i < 10'000; ++i) p.record(workload().sample(i));
  std::size_t i = 0;
  for (auto _ : state) p.record(workload().sample(i++));
}
BENCHMARK(BM_PrometheusCppRecord);

/// prometheus-cpp with every Counter and Histogram reference looked up once and kept by the caller: only its
/// atomic increments and bucket search remain per request (plus our own lookup of the cached references).
void BM_PrometheusCppRecordCached(benchmark::State& state) {
  PrometheusCpp p;
  struct Series {
    prometheus::Counter* requests;
    prometheus::Histogram *route, *tenant;
    prometheus::Counter *seconds, *rows, *statements;
  };
  std::unordered_map<std::size_t, Series> cache;  // by request index modulo the workload's period
  constexpr std::size_t kPeriod = kTenants * kRoutes * kStatuses.size();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t key = i % kPeriod;
    const RequestSample s = workload().sample(i++);
    auto it = cache.find(key);
    if (it == cache.end()) {
      const std::string tenant = PrometheusCpp::label(s.tenant);
      it = cache
               .emplace(key,
                        Series{&p.requests.Add({{"route", std::string(s.route)},
                                                {"method", std::string(s.method)},
                                                {"status", std::to_string(s.status)},
                                                {"tenant", tenant}}),
                               &p.route_latency.Add({{"route", std::string(s.route)}}, boundaries()),
                               &p.tenant_latency.Add({{"tenant", tenant}}, boundaries()),
                               &p.db_seconds.Add({{"tenant", tenant}}), &p.db_rows.Add({{"tenant", tenant}}),
                               &p.db_statements.Add({{"tenant", tenant}})})
               .first;
    }
    const double seconds = std::chrono::duration<double>(s.duration).count();
    it->second.requests->Increment();
    it->second.route->Observe(seconds);
    it->second.tenant->Observe(seconds);
    it->second.seconds->Increment(std::chrono::duration<double>(s.db_time).count());
    it->second.rows->Increment(static_cast<double>(s.db_rows));
    it->second.statements->Increment(static_cast<double>(s.db_statements));
  }
}
BENCHMARK(BM_PrometheusCppRecordCached);

void BM_PrometheusCppRender(benchmark::State& state) {
  PrometheusCpp p;
  for (std::size_t i = 0; i < 10'000; ++i) p.record(workload().sample(i));
  const prometheus::TextSerializer serializer;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = serializer.Serialize(p.registry.Collect());
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PrometheusCppRender);

#endif

}  // namespace

BENCHMARK_MAIN();

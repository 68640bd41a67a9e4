// The results of one bench/run: read from its work directory, printed as one table, written as JSON.
//
// Files in the work directory (written by bench/run):
//   meta.env                     key=value: the run's parameters and the machine
//   <W>.wrk.json                 wrk's done() figures (W1, W2, W3, S1-cold, S1)
//   <L>.pgbench.out, <L>.log.*   pgbench's summary and per-transaction log (L0, L0-list, L0-insert, L0-S1,
//                                L0-S1-affine)
//   <X>.skipped                  why a workload did not run
//   P1.json, M1.json, setup.json, setup-S1.json, migrate-current.ms, migrate-current-S1.ms
//   W1.mem, S1.mem               memory samples: server_rss_kb pg_rss_kb pg_pss_kb pg_private_kb pg_processes
//   W1.statements, S1.statements pg_stat_statements during the workload: calls|query
//   micro.json                   Google Benchmark's JSON output
#include "bench/bench_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace tenantry::bench {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::optional<std::string> slurp(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<json::object> read_json(const fs::path& file) {
  auto text = slurp(file);
  if (!text) return std::nullopt;
  try {
    auto v = json::parse(*text);
    if (v.is_object()) return v.as_object();
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

double num(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return NAN;
}

double num(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? NAN : num(it->value());
}

double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

/// One load workload's figures.
struct Load {
  bool ran = false;
  std::string skipped;
  double rps = NAN, p50_ms = NAN, p99_ms = NAN, duration_s = NAN;
  double requests = 0, errors = 0;
  json::object extra;
};

Load read_wrk(const fs::path& dir, const std::string& name) {
  Load l;
  if (auto why = slurp(dir / (name + ".skipped"))) {
    l.skipped = *why;
    while (!l.skipped.empty() && l.skipped.back() == '\n') l.skipped.pop_back();
    return l;
  }
  auto o = read_json(dir / (name + ".wrk.json"));
  if (!o) return l;
  l.ran = true;
  l.requests = num(*o, "requests");
  l.duration_s = num(*o, "duration_us") / 1e6;
  l.rps = l.requests / l.duration_s;
  l.p50_ms = num(*o, "p50_us") / 1000;
  l.p99_ms = num(*o, "p99_us") / 1000;
  l.errors = num(*o, "errors_connect") + num(*o, "errors_read") + num(*o, "errors_write") +
             num(*o, "errors_status") + num(*o, "errors_timeout");
  l.extra["non_2xx_or_3xx"] = num(*o, "errors_status");
  l.extra["timeouts"] = num(*o, "errors_timeout");
  l.extra["p90_ms"] = round_to(num(*o, "p90_us") / 1000, 3);
  l.extra["max_ms"] = round_to(num(*o, "max_us") / 1000, 3);
  return l;
}

Load read_pgbench(const fs::path& dir, const std::string& name) {
  Load l;
  if (auto why = slurp(dir / (name + ".skipped"))) {
    l.skipped = *why;
    while (!l.skipped.empty() && l.skipped.back() == '\n') l.skipped.pop_back();
    return l;
  }
  auto out = slurp(dir / (name + ".pgbench.out"));
  if (!out) return l;
  auto after = [&](std::string_view key) -> double {
    auto pos = out->find(key);
    if (pos == std::string::npos) return NAN;
    return std::strtod(out->c_str() + pos + key.size(), nullptr);
  };
  l.rps = after("tps = ");
  l.requests = after("number of transactions actually processed: ");
  l.errors = after("number of failed transactions: ");
  if (std::isnan(l.errors)) l.errors = 0;
  l.duration_s = after("duration: ");
  std::vector<double> latencies;
  const std::string prefix = name + ".log";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) != 0) continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      // client_id transaction_no time script_no time_epoch time_us: `time` is the latency in µs.
      std::istringstream fields(line);
      std::string client, tx, time;
      if (fields >> client >> tx >> time) {
        char* end = nullptr;
        const double us = std::strtod(time.c_str(), &end);
        if (end != time.c_str() && *end == '\0') latencies.push_back(us);
      }
    }
  }
  l.p50_ms = percentile(latencies, 50) / 1000;
  l.p99_ms = percentile(latencies, 99) / 1000;
  l.ran = !std::isnan(l.rps);
  l.extra["latencies_logged"] = latencies.size();
  return l;
}

json::object memory(const fs::path& dir, const std::string& name) {
  json::object m;
  std::ifstream in(dir / (name + ".mem"));
  if (!in) return m;
  double server = 0, rss = 0, pss = 0, priv = 0, procs = 0;
  std::size_t samples = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    double a, b, c, d, e;
    if (!(f >> a >> b >> c >> d >> e)) continue;
    server = std::max(server, a);
    rss = std::max(rss, b);
    pss = std::max(pss, c);
    priv = std::max(priv, d);
    procs = std::max(procs, e);
    ++samples;
  }
  if (samples == 0) return m;
  m["samples"] = samples;
  m["server_rss_mib"] = round_to(server / 1024, 1);
  m["db_rss_sum_mib"] = round_to(rss / 1024, 1);
  m["db_pss_sum_mib"] = round_to(pss / 1024, 1);
  m["db_private_sum_mib"] = round_to(priv / 1024, 1);
  m["db_processes"] = procs;
  return m;
}

json::object statements(const fs::path& dir, const std::string& name, double requests) {
  json::object s;
  std::ifstream in(dir / (name + ".statements"));
  if (!in) return s;
  double total = 0, switches = 0, catalog = 0;
  json::array top;
  std::string line;
  while (std::getline(in, line)) {
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    const double calls = std::strtod(line.c_str(), nullptr);
    const std::string query = line.substr(bar + 1);
    if (query.find("pg_stat_statements") != std::string::npos) continue;
    total += calls;
    if (query.find("set_config(") != std::string::npos) switches += calls;
    if (query.find("tenants") != std::string::npos || query.find("domains") != std::string::npos)
      catalog += calls;
    if (top.size() < 8) top.push_back(json::object{{"calls", calls}, {"query", query.substr(0, 120)}});
  }
  s["statements_total"] = total;
  s["statements_per_request"] = requests > 0 ? round_to(total / requests, 3) : NAN;
  s["search_path_switches_per_request"] = requests > 0 ? round_to(switches / requests, 3) : NAN;
  s["catalog_queries"] = catalog;
  s["top"] = std::move(top);
  return s;
}

std::map<std::string, std::string> read_meta(const fs::path& dir) {
  std::map<std::string, std::string> meta;
  std::ifstream in(dir / "meta.env");
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) meta[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return meta;
}

std::optional<double> read_ms(const fs::path& file) {
  auto text = slurp(file);
  if (!text) return std::nullopt;
  return std::strtod(text->c_str(), nullptr);
}

std::string fmt_num(double v, int digits = 2) {
  if (std::isnan(v)) return "-";
  return fmt::format("{:.{}f}", v, digits);
}

json::value jnum(double v, int digits = 3) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return round_to(v, digits);
}

}  // namespace

int report(const std::string& dir_name, const std::string& out_file) {
  const fs::path dir(dir_name);
  const auto meta = read_meta(dir);
  auto meta_num = [&](const std::string& key) {
    auto it = meta.find(key);
    return it == meta.end() ? NAN : std::strtod(it->second.c_str(), nullptr);
  };

  struct Row {
    std::string name, baseline, description;
    Load load;
  };
  std::vector<Row> rows{
      {"W1", "L0", "GET /api/products/{id}", read_wrk(dir, "W1")},
      {"L0", "", "pgbench: W1's SQL", read_pgbench(dir, "L0")},
      {"W2", "L0-list", "GET /api/products?limit=20", read_wrk(dir, "W2")},
      {"L0-list", "", "pgbench: W2's SQL", read_pgbench(dir, "L0-list")},
      {"W3", "L0-insert", "POST /api/products", read_wrk(dir, "W3")},
      {"L0-insert", "", "pgbench: W3's SQL", read_pgbench(dir, "L0-insert")},
      {"S1-cold", "L0-S1", "W1 over the S1 tenants, first run of a fresh server", read_wrk(dir, "S1-cold")},
      {"S1", "L0-S1", "W1 over the S1 tenants, the same server's second run", read_wrk(dir, "S1")},
      {"L0-S1", "", "pgbench: W1's SQL over the S1 tenants, random tenant per transaction",
       read_pgbench(dir, "L0-S1")},
      {"L0-S1-affine", "", "pgbench: the same, each client on a fixed share of the tenants",
       read_pgbench(dir, "L0-S1-affine")},
  };
  auto find = [&](const std::string& name) -> const Load* {
    for (const auto& r : rows)
      if (r.name == name) return &r.load;
    return nullptr;
  };
  auto ratio = [&](const std::string& a, const std::string& b) -> double {
    const Load *x = find(a), *y = find(b);
    if (!x || !y || !x->ran || !y->ran) return NAN;
    return x->rps / y->rps;
  };

  json::object result;
  json::object run;
  for (const auto& [k, v] : meta) run[k] = v;
  result["run"] = std::move(run);

  json::object workloads;
  std::cout << "\n"
            << fmt::format("{:<12} {:>10} {:>9} {:>9} {:>9} {:>8}  {}\n", "workload", "req/s", "p50 ms",
                           "p99 ms", "vs L0", "errors", "what");
  for (const auto& r : rows) {
    json::object w;
    w["what"] = r.description;
    if (!r.load.ran) {
      w["skipped"] = r.load.skipped.empty() ? "not run" : r.load.skipped;
      if (!r.load.skipped.empty())
        std::cout << fmt::format("{:<12} {:>10} {:>9} {:>9} {:>9} {:>8}  {} (skipped: {})\n", r.name, "-",
                                 "-", "-", "-", "-", r.description, r.load.skipped);
      workloads[r.name] = std::move(w);
      continue;
    }
    const double vs = r.baseline.empty() ? NAN : ratio(r.name, r.baseline);
    std::cout << fmt::format("{:<12} {:>10} {:>9} {:>9} {:>9} {:>8}  {}\n", r.name, fmt_num(r.load.rps, 0),
                             fmt_num(r.load.p50_ms), fmt_num(r.load.p99_ms), fmt_num(vs),
                             fmt_num(r.load.errors, 0), r.description);
    w["requests_per_s"] = jnum(r.load.rps, 1);
    w["p50_ms"] = jnum(r.load.p50_ms);
    w["p99_ms"] = jnum(r.load.p99_ms);
    w["requests"] = r.load.requests;
    w["errors"] = r.load.errors;
    w["duration_s"] = jnum(r.load.duration_s);
    if (!r.baseline.empty()) w["ratio_vs_" + r.baseline] = jnum(vs);
    for (const auto& [k, v] : r.load.extra) w[k] = v;
    workloads[r.name] = std::move(w);
  }
  const double s1_vs_w1 = ratio("S1", "W1");
  const double s1_cold_vs_w1 = ratio("S1-cold", "W1");
  if (!std::isnan(s1_vs_w1))
    std::cout << fmt::format("S1 / W1 = {} (S1-cold / W1 = {})\n", fmt_num(s1_vs_w1), fmt_num(s1_cold_vs_w1));

  json::object memory_all;
  for (const std::string name : {"W1", "S1"}) {
    auto m = memory(dir, name);
    if (m.empty()) continue;
    std::cout << fmt::format(
        "memory during {}: server RSS {} MiB; PostgreSQL ({} processes) RSS sum {} MiB, PSS sum {} MiB, "
        "private sum {} MiB\n",
        name, fmt_num(num(m, "server_rss_mib"), 1), fmt_num(num(m, "db_processes"), 0),
        fmt_num(num(m, "db_rss_sum_mib"), 1), fmt_num(num(m, "db_pss_sum_mib"), 1),
        fmt_num(num(m, "db_private_sum_mib"), 1));
    memory_all[name] = std::move(m);
  }
  result["memory"] = std::move(memory_all);

  json::object stmts;
  for (const std::string name : {"W1", "S1"}) {
    const Load* l = find(name);
    auto s = statements(dir, name, l && l->ran ? l->requests : 0);
    if (s.empty()) continue;
    std::cout << fmt::format(
        "pg_stat_statements during {}: {} statements per request, {} search_path switches per request, {} "
        "catalog queries\n",
        name, fmt_num(num(s, "statements_per_request"), 3),
        fmt_num(num(s, "search_path_switches_per_request"), 3), fmt_num(num(s, "catalog_queries"), 0));
    stmts[name] = std::move(s);
  }
  result["statements"] = std::move(stmts);

  auto p1 = read_json(dir / "P1.json");
  if (p1) {
    std::cout << fmt::format(
        "P1 tenant create from a ready-made schema ({} times, {} tenant migrations): median {} ms, p99 {} "
        "ms\n",
        fmt_num(num(*p1, "count"), 0), fmt_num(num(*p1, "tenant_migrations"), 0),
        fmt_num(num(*p1, "median_ms")), fmt_num(num(*p1, "p99_ms")));
    std::cout << fmt::format("P1 fallback, every migration replayed: median {} ms, p99 {} ms\n",
                             fmt_num(num(*p1, "full_path_median_ms")), fmt_num(num(*p1, "full_path_p99_ms")));
    result["P1"] = *p1;
  } else if (auto why = slurp(dir / "P1.skipped")) {
    result["P1"] = json::object{{"skipped", *why}};
  }
  auto m1 = read_json(dir / "M1.json");
  if (m1) {
    std::cout << fmt::format(
        "M1 new tenant migration over {} tenants: {} ms; up-to-date run before {} ms ({} schemas checked), "
        "after {} ms ({} schemas checked)\n",
        fmt_num(num(*m1, "tenants_migrated"), 0), fmt_num(num(*m1, "apply_ms"), 1),
        fmt_num(num(*m1, "current_before_ms"), 1), fmt_num(num(*m1, "current_before_schemas_checked"), 0),
        fmt_num(num(*m1, "current_after_ms"), 1), fmt_num(num(*m1, "current_after_schemas_checked"), 0));
    result["M1"] = *m1;
  }
  json::object migrate_cli;
  if (auto ms = read_ms(dir / "migrate-current.ms")) {
    migrate_cli["N"] = json::object{{"tenants", meta_num("tenants")}, {"ms", *ms}};
    std::cout << fmt::format("`tenantry migrate` with nothing to do, {} tenants: {} ms (whole process)\n",
                             fmt_num(meta_num("tenants"), 0), fmt_num(*ms, 0));
  }
  if (auto ms = read_ms(dir / "migrate-current-S1.ms")) {
    migrate_cli["S1"] = json::object{{"tenants", meta_num("s1_tenants")}, {"ms", *ms}};
    std::cout << fmt::format("`tenantry migrate` with nothing to do, {} tenants: {} ms (whole process)\n",
                             fmt_num(meta_num("s1_tenants"), 0), fmt_num(*ms, 0));
  }
  result["migrate_up_to_date"] = std::move(migrate_cli);
  if (auto s = read_json(dir / "setup.json")) result["setup"] = *s;
  if (auto s = read_json(dir / "setup-S1.json")) result["setup_S1"] = *s;
  if (auto micro = read_json(dir / "micro.json")) {
    json::array benches;
    if (auto* b = micro->if_contains("benchmarks"); b && b->is_array()) {
      std::cout << "micro-benchmarks (ns per operation, CPU time):\n";
      for (const auto& v : b->as_array()) {
        const auto& o = v.as_object();
        json::object item{
            {"name", o.at("name")}, {"cpu_time", o.at("cpu_time")}, {"time_unit", o.at("time_unit")}};
        if (auto* e = o.if_contains("error_message")) item["error"] = *e;
        std::cout << fmt::format("  {:<44} {:>12} {}\n", json::value_to<std::string>(o.at("name")),
                                 fmt_num(num(o.at("cpu_time")), 1),
                                 json::value_to<std::string>(o.at("time_unit")));
        benches.push_back(std::move(item));
      }
    }
    result["micro"] = std::move(benches);
  }

  // The goals, as measured by this run.
  json::array goals;
  auto goal = [&](std::string what, double measured, double target, bool higher_is_better,
                  std::string note = "") {
    json::object g{{"goal", what}, {"measured", jnum(measured)}, {"target", target}};
    if (std::isnan(measured))
      g["met"] = nullptr;
    else
      g["met"] = higher_is_better ? measured >= target : measured <= target;
    if (!note.empty()) g["note"] = note;
    std::cout << fmt::format("  [{}] {}: {} (target {} {})\n",
                             std::isnan(measured)                                           ? "n/a"
                             : (higher_is_better ? measured >= target : measured <= target) ? "met"
                                                                                            : "NOT met",
                             what, fmt_num(measured, 3), higher_is_better ? ">=" : "<=", target);
    goals.push_back(std::move(g));
  };
  std::cout << "goals (issue 6):\n";
  goal("W1 / L0", ratio("W1", "L0"), 0.7, true);
  goal("W2 / L0-list", ratio("W2", "L0-list"), 0.7, true);
  goal("W3 / L0-insert", ratio("W3", "L0-insert"), 0.7, true);
  {
    const Load* w1 = find("W1");
    goal("W1 p99 ms at " + fmt_num(meta_num("connections"), 0) + " connections",
         w1 && w1->ran ? w1->p99_ms : NAN, 5, false);
  }
  if (auto* s = result["statements"].as_object().if_contains("W1")) {
    goal("catalog queries during W1 (pg_stat_statements)", num(s->as_object(), "catalog_queries"), 0, false);
  }
  if (p1) {
    goal("P1 median ms", num(*p1, "median_ms"), 10, false);
    goal("P1 p99 ms", num(*p1, "p99_ms"), 50, false);
  }
  if (m1) {
    const double n = num(*m1, "tenants_migrated");
    goal("M1 s for " + fmt_num(n, 0) + " tenants (target 1 s per 100)", num(*m1, "apply_ms") / 1000, n / 100,
         false);
  }
  if (auto ms = read_ms(dir / "migrate-current-S1.ms")) {
    const double n = meta_num("s1_tenants");
    goal("up-to-date `tenantry migrate` s over " + fmt_num(n, 0) + " tenants (target 0.5 s per 1,000)",
         *ms / 1000, 0.5 * n / 1000, false, "whole process, including start-up");
  }
  goal("S1 / W1", s1_vs_w1, 0.8, true,
       "S1 is the server's second run; its first (S1-cold) warms the backends");
  goal("S1-cold / W1", s1_cold_vs_w1, 0.8, true, "a fresh server: every backend loads its tenants' catalogs");
  if (auto* m = result["memory"].as_object().if_contains("W1"))
    goal("server RSS MiB during W1 at N=" + fmt_num(meta_num("tenants"), 0),
         num(m->as_object(), "server_rss_mib"), 64, false, "the goal is stated for N = 1,000");
  result["goals"] = std::move(goals);
  result["workloads"] = std::move(workloads);

  if (!out_file.empty()) {
    std::ofstream out(out_file, std::ios::trunc);
    out << json::serialize(result) << "\n";
    if (!out) {
      std::cerr << "cannot write " << out_file << "\n";
      return 1;
    }
    std::cout << "results: " << out_file << "\n";
  }
  return 0;
}

}  // namespace tenantry::bench

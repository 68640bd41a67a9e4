#include "cli/tenant_activity.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace tenantry::cli {

namespace {

/// One sample line: name{labels} value.
struct SampleLine {
  std::string_view name;
  std::map<std::string, std::string, std::less<>> labels;
  double value = 0;
};

double parse_value(std::string_view text) {
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::numeric_limits<double>::quiet_NaN();
  return value;
}

/// Label pairs `a="x",b="y"` (values escaped with \\, \" and \n); false when malformed.
bool parse_labels(std::string_view text, std::map<std::string, std::string, std::less<>>& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto eq = text.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return false;
    std::string value;
    std::size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\' && j + 1 < text.size()) {
        ++j;
        value += text[j] == 'n' ? '\n' : text[j];
      } else {
        value += text[j];
      }
    }
    if (j >= text.size()) return false;
    out.emplace(std::string(text.substr(i, eq - i)), std::move(value));
    i = j + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  return true;
}

std::optional<SampleLine> parse_line(std::string_view line) {
  if (line.empty() || line.front() == '#') return std::nullopt;
  SampleLine sample;
  const auto brace = line.find('{');
  const auto space = line.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  if (brace != std::string_view::npos && brace < space) {
    const auto close = line.rfind('}');
    if (close == std::string_view::npos || close < brace) return std::nullopt;
    sample.name = line.substr(0, brace);
    if (!parse_labels(line.substr(brace + 1, close - brace - 1), sample.labels)) return std::nullopt;
  } else {
    sample.name = line.substr(0, space);
  }
  sample.value = parse_value(line.substr(space + 1));
  return sample;
}

std::string_view label(const SampleLine& s, std::string_view name) {
  const auto it = s.labels.find(name);
  return it == s.labels.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

Scrape parse_scrape(std::string_view exposition) {
  Scrape scrape;
  for (std::size_t begin = 0; begin < exposition.size();) {
    auto end = exposition.find('\n', begin);
    if (end == std::string_view::npos) end = exposition.size();
    const auto sample = parse_line(exposition.substr(begin, end - begin));
    begin = end + 1;
    if (!sample || std::isnan(sample->value)) continue;
    const std::string_view tenant = label(*sample, "tenant");
    if (tenant.empty()) continue;
    TenantCounters& t = scrape[std::string(tenant)];
    if (sample->name == "tenantry_http_requests_total") {
      t.requests += sample->value;
      const std::string_view status = label(*sample, "status");
      if (status.starts_with('4')) t.client_errors += sample->value;
      if (status.starts_with('5')) t.server_errors += sample->value;
    } else if (sample->name == "tenantry_tenant_request_duration_seconds_bucket") {
      t.latency[parse_value(label(*sample, "le"))] += sample->value;
    } else if (sample->name == "tenantry_db_seconds_total") {
      t.db_seconds += sample->value;
    } else if (sample->name == "tenantry_db_rows_total") {
      t.db_rows += sample->value;
    }
  }
  return scrape;
}

std::optional<double> histogram_quantile(double q, const std::map<double, double>& cumulative) {
  if (cumulative.empty()) return std::nullopt;
  const double total = cumulative.rbegin()->second;
  if (total <= 0) return std::nullopt;
  const double rank = q * total;
  double lower = 0, below = 0;
  for (const auto& [bound, count] : cumulative) {
    if (count >= rank) {
      // Above the last finite bound there is no upper edge: that bound is the answer, as in PromQL.
      if (std::isinf(bound)) return lower;
      if (count == below) return bound;
      return lower + (bound - lower) * (rank - below) / (count - below);
    }
    lower = bound;
    below = count;
  }
  return lower;
}

std::vector<TenantActivity> tenant_activity(const Scrape& before, const Scrape& after, double seconds) {
  std::vector<TenantActivity> out;
  if (seconds <= 0) return out;
  static const TenantCounters kNone;
  for (const auto& [tenant, now] : after) {
    const auto it = before.find(tenant);
    const TenantCounters& then = it == before.end() ? kNone : it->second;
    // A counter that went down means the server restarted in between: its value is the new count.
    auto delta = [](double a, double b) { return a >= b ? a - b : a; };
    TenantActivity a{.tenant = tenant};
    a.requests = delta(now.requests, then.requests) / seconds;
    if (a.requests <= 0) continue;
    a.client_errors = delta(now.client_errors, then.client_errors) / seconds;
    a.server_errors = delta(now.server_errors, then.server_errors) / seconds;
    a.db_seconds = delta(now.db_seconds, then.db_seconds) / seconds;
    a.db_rows = delta(now.db_rows, then.db_rows) / seconds;
    std::map<double, double> buckets;
    for (const auto& [bound, count] : now.latency) {
      const auto prev = then.latency.find(bound);
      buckets[bound] = delta(count, prev == then.latency.end() ? 0 : prev->second);
    }
    a.p99 = histogram_quantile(0.99, buckets);
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const TenantActivity& x, const TenantActivity& y) {
    return x.requests != y.requests ? x.requests > y.requests : x.tenant < y.tenant;
  });
  return out;
}

}  // namespace tenantry::cli

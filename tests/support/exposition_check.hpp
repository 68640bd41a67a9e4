#pragma once

#include <map>
#include <string>
#include <vector>

namespace tenantry::testing {

/// A Prometheus text exposition (format 0.0.4), parsed strictly, with what is wrong with it.
struct Exposition {
  std::string text;
  /// Every sample by its series as written, e.g. `tenantry_db_rows_total{tenant="store"}`.
  std::map<std::string, double> samples;
  /// Family name → TYPE, and → HELP text.
  std::map<std::string, std::string> types, helps;
  /// Empty when the exposition is valid: every family has HELP and TYPE before its samples and its samples
  /// together, names and label names are valid, no series repeats, counters end in _total and are not
  /// negative, histograms have increasing buckets ending in +Inf equal to their _count, and a _sum.
  std::vector<std::string> errors;

  /// The sample's value; 0 when the series is absent (as a counter that has not been counted yet).
  double value(const std::string& series) const;
  /// The TYPE of the family a series belongs to ("" when none).
  std::string type_of(const std::string& series) const;
};

Exposition parse_exposition(const std::string& text);

}  // namespace tenantry::testing

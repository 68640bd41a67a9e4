#include "exposition_check.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

namespace tenantry::testing {

namespace {

const std::regex kMetricName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
const std::set<std::string> kTypes{"counter", "gauge", "histogram", "summary", "untyped"};

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

bool parse_number(const std::string& text, double& out) {
  if (text == "+Inf") return out = std::numeric_limits<double>::infinity(), true;
  if (text == "-Inf") return out = -std::numeric_limits<double>::infinity(), true;
  if (text == "NaN") return out = std::numeric_limits<double>::quiet_NaN(), true;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// `name{a="x",b="y"} value`; the error, or "" when well-formed.
std::string parse_sample(const std::string& line, Sample& s) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (!std::regex_match(s.name, kMetricName)) return "invalid metric name '" + s.name + "'";
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const auto eq = line.find('=', i);
      if (eq == std::string::npos) return "label without '='";
      const std::string name = line.substr(i, eq - i);
      if (!std::regex_match(name, kLabelName) || name.starts_with("__"))
        return "invalid label name '" + name + "'";
      if (eq + 1 >= line.size() || line[eq + 1] != '"') return "label value not quoted";
      std::string value;
      std::size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\') {
          if (j + 1 >= line.size() || (line[j + 1] != '\\' && line[j + 1] != '"' && line[j + 1] != 'n'))
            return "invalid escape in label value";
          value += line[j + 1] == 'n' ? '\n' : line[j + 1];
          ++j;
        } else {
          value += line[j];
        }
      }
      if (j >= line.size()) return "unterminated label value";
      for (const auto& [seen, ignored] : s.labels)
        if (seen == name) return "label '" + name + "' twice";
      s.labels.emplace_back(name, value);
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return "unterminated label set";
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') return "no value";
  if (!parse_number(line.substr(i + 1), s.value)) return "invalid value '" + line.substr(i + 1) + "'";
  return "";
}

/// The family a sample belongs to, given the declared types: a histogram's _bucket, _sum and _count are its.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (name.size() > s.size() && name.ends_with(s)) {
      const std::string base = name.substr(0, name.size() - s.size());
      if (auto it = types.find(base); it != types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

struct HistogramSeries {
  std::vector<std::pair<double, double>> buckets;  // le, cumulative count, in order of appearance
  std::optional<double> count, sum;
};

}  // namespace

double Exposition::value(const std::string& series) const {
  const auto it = samples.find(series);
  return it == samples.end() ? 0 : it->second;
}

std::string Exposition::type_of(const std::string& series) const {
  const auto brace = series.find('{');
  const std::string family = family_of(series.substr(0, brace), types);
  const auto it = types.find(family);
  return it == types.end() ? "" : it->second;
}

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  e.text = text;
  std::set<std::string> finished;  // families whose samples ended (another family's came)
  std::string current;
  std::map<std::string, HistogramSeries> histograms;  // by family and labels without le
  std::istringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    auto fail = [&](const std::string& what) {
      e.errors.push_back("line " + std::to_string(number) + ": " + what + ": " + line);
    };
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const bool help = line[2] == 'H';
      const auto space = line.find(' ', 7);
      const std::string name = line.substr(7, space == std::string::npos ? std::string::npos : space - 7);
      const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
      if (!std::regex_match(name, kMetricName)) fail("invalid family name");
      auto& map = help ? e.helps : e.types;
      if (map.count(name)) fail(help ? "second HELP" : "second TYPE");
      if (finished.count(name) || current == name) fail("declared after its samples");
      if (!help && !kTypes.count(rest)) fail("unknown type");
      if (help && rest.empty()) fail("empty HELP");
      if (!help && rest == "counter" && !name.ends_with("_total")) fail("counter name without _total");
      map[name] = rest;
      continue;
    }
    if (line.front() == '#') continue;
    Sample s;
    if (const std::string why = parse_sample(line, s); !why.empty()) {
      fail(why);
      continue;
    }
    const std::string family = family_of(s.name, e.types);
    if (!e.types.count(family)) fail("no TYPE for family " + family);
    if (!e.helps.count(family)) fail("no HELP for family " + family);
    if (family != current) {
      if (finished.count(family)) fail("family " + family + " not together");
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    const std::string series = line.substr(0, line.rfind(' '));
    if (!e.samples.emplace(series, s.value).second) fail("series twice");
    const std::string type = e.types.count(family) ? e.types[family] : "";
    if (type == "counter" && !(s.value >= 0)) fail("negative counter");
    if (type == "histogram") {
      std::string key = family + "{";
      std::optional<double> le;
      for (const auto& [name, value] : s.labels) {
        if (name == "le") {
          double bound = 0;
          if (!parse_number(value, bound)) fail("invalid le");
          le = bound;
        } else {
          key += name + "=" + value + ",";
        }
      }
      HistogramSeries& h = histograms[key];
      if (s.name == family + "_bucket") {
        if (!le)
          fail("bucket without le");
        else
          h.buckets.emplace_back(*le, s.value);
      } else if (s.name == family + "_count") {
        h.count = s.value;
      } else if (s.name == family + "_sum") {
        h.sum = s.value;
      } else {
        fail("sample of a histogram that is no _bucket, _sum or _count");
      }
    }
  }
  for (const auto& [key, h] : histograms) {
    auto fail = [&](const std::string& what) { e.errors.push_back(key + ": " + what); };
    if (h.buckets.empty() || !std::isinf(h.buckets.back().first)) fail("no +Inf bucket");
    for (std::size_t i = 1; i < h.buckets.size(); ++i) {
      if (!(h.buckets[i].first > h.buckets[i - 1].first)) fail("bucket bounds not increasing");
      if (h.buckets[i].second < h.buckets[i - 1].second) fail("bucket counts not cumulative");
    }
    if (!h.count) fail("no _count");
    if (!h.sum) fail("no _sum");
    if (h.count && !h.buckets.empty() && *h.count != h.buckets.back().second)
      fail("+Inf bucket is not _count");
  }
  return e;
}

}  // namespace tenantry::testing

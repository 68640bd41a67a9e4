#include "tenantry/tenancy/domain_name.hpp"

#include <algorithm>

namespace tenantry::tenancy {

std::string DomainName::normalise(std::string_view value) {
  std::string out(value);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string DomainName::why_invalid(std::string_view v) {
  if (v.empty()) return "must not be empty";
  if (v.size() > 253) return "must be at most 253 characters";
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t end = v.find('.', start);
    if (end == std::string_view::npos) end = v.size();
    std::string_view label = v.substr(start, end - start);
    if (label.empty()) return "must not contain empty labels";
    if (label.size() > 63) return "labels must be at most 63 characters";
    if (label.front() == '-' || label.back() == '-') return "labels must not start or end with '-'";
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return "may contain only letters, digits, '-' and '.'";
    start = end + 1;
  }
  return {};
}

DomainName::DomainName(std::string_view value) : value_(normalise(value)) {
  if (auto why = why_invalid(value_); !why.empty()) throw ValidationError("domain", "invalid domain: " + why);
}

DomainName default_domain(const db::SchemaName& schema, const std::string& base_domain) {
  std::string label = schema.str();
  std::replace(label.begin(), label.end(), '_', '-');
  return DomainName(label + "." + base_domain);
}

}  // namespace tenantry::tenancy

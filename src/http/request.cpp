#include "tenantry/http/request.hpp"

#include <boost/url/grammar/string_token.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "http/text.hpp"

namespace tenantry::http {

namespace urls = boost::urls;

std::optional<std::string_view> Request::header(std::string_view name) const noexcept {
  for (const HeaderSlot& h : header_slots_) {
    const std::string_view n(header_data_.data() + h.name_offset, h.name_size);
    if (detail::iequals(n, name)) return std::string_view(header_data_.data() + h.value_offset, h.value_size);
  }
  return std::nullopt;
}

std::vector<HeaderField> Request::headers() const {
  std::vector<HeaderField> out;
  out.reserve(header_slots_.size());
  for (const HeaderSlot& h : header_slots_) {
    out.push_back({std::string_view(header_data_.data() + h.name_offset, h.name_size),
                   std::string_view(header_data_.data() + h.value_offset, h.value_size)});
  }
  return out;
}

void Request::add_header(std::string_view name, std::string_view value) {
  HeaderSlot slot{};
  slot.name_offset = static_cast<std::uint32_t>(header_data_.size());
  slot.name_size = static_cast<std::uint32_t>(name.size());
  header_data_ += name;
  slot.value_offset = static_cast<std::uint32_t>(header_data_.size());
  slot.value_size = static_cast<std::uint32_t>(value.size());
  header_data_ += value;
  header_slots_.push_back(slot);
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

namespace {

// Decodes into `out`, rejecting NULs and invalid UTF-8: neither can reach a PostgreSQL text value.
bool decode_into(urls::pct_string_view in, std::string& out, bool space_as_plus) {
  urls::encoding_opts opts(space_as_plus, false, false);
  in.decode(opts, urls::string_token::assign_to(out));
  return out.find('\0') == std::string::npos && detail::valid_utf8(out);
}

bool fill_from(const urls::url_view& url, std::string& path,
               std::vector<std::pair<std::string, std::string>>& query) {
  if (!decode_into(url.encoded_path(), path, false)) return false;
  if (path.empty()) path = "/";  // absolute-form "http://host" has an empty path
  if (!url.has_query()) return true;
  for (const auto& p : url.encoded_params()) {
    auto& [k, v] = query.emplace_back();
    if (!decode_into(p.key, k, true)) return false;
    if (p.has_value && !decode_into(p.value, v, true)) return false;
  }
  return true;
}

}  // namespace

bool Request::set_target(std::string_view t) {
  target.assign(t);
  path.clear();
  query.clear();
  bool ok = false;
  if (!t.empty() && t.front() == '/') {
    if (auto url = urls::parse_origin_form(t)) ok = fill_from(*url, path, query);
  } else if (t == "*") {  // asterisk-form, for OPTIONS (RFC 9112 §3.2.4)
    path = "*";
    ok = true;
  } else if (auto url = urls::parse_absolute_uri(t)) {  // absolute-form (RFC 9112 §3.2.2)
    ok = !url->has_fragment() && fill_from(*url, path, query);
  }
  if (!ok) {
    path.clear();
    query.clear();
  }
  return ok;
}

bool implemented_method(std::string_view method) noexcept {
  static constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (const std::string_view m : kMethods)
    if (m == method) return true;
  return false;
}

void Request::clear() noexcept {
  method.clear();
  target.clear();
  path.clear();
  query.clear();
  body.clear();
  remote_address.clear();
  request_id.clear();
  version = 11;
  header_data_.clear();
  header_slots_.clear();
}

}  // namespace tenantry::http

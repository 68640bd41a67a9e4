#include "tenantry/http/request.hpp"

#include <boost/url/grammar/string_token.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "http/text.hpp"
#include "http/wire.hpp"

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

// An absolute-form target names the host the request is for, so it must be one we could have been sent
// as a Host header: an http(s) URI with a non-empty, valid host (RFC 9110 §4.2.1) and no userinfo, which
// RFC 9110 §4.2.4 tells recipients to treat as an error (it hides the real host from a quick read).
bool acceptable_absolute_form(const urls::url_view& url) {
  const auto scheme = url.scheme_id();
  return (scheme == urls::scheme::http || scheme == urls::scheme::https) && url.has_authority() &&
         !url.has_userinfo() && !url.encoded_host().empty() && !url.has_fragment() &&
         wire::valid_host(url.encoded_host_and_port());
}

}  // namespace

bool Request::set_target(std::string_view t) {
  target.assign(t);
  path.clear();
  query.clear();
  authority.clear();
  path_begin_ = 0;
  bool ok = false;
  if (!t.empty() && t.front() == '/') {
    if (auto url = urls::parse_origin_form(t)) ok = fill_from(*url, path, query);
  } else if (t == "*") {  // asterisk-form, for OPTIONS (RFC 9112 §3.2.4)
    path = "*";
    ok = true;
  } else if (auto url = urls::parse_absolute_uri(t)) {  // absolute-form (RFC 9112 §3.2.2)
    ok = acceptable_absolute_form(*url) && fill_from(*url, path, query);
    if (ok) {
      authority.assign(url->encoded_host_and_port());
      path_begin_ = static_cast<std::size_t>(url->encoded_path().data() - t.data());
    }
  }
  if (!ok) {
    path.clear();
    query.clear();
    authority.clear();
    path_begin_ = 0;
  }
  return ok;
}

std::string_view Request::target_path() const noexcept {
  const std::string_view rest = std::string_view(target).substr(std::min(path_begin_, target.size()));
  const std::string_view p = rest.substr(0, rest.find('?'));
  return p.empty() ? std::string_view("/") : p;  // absolute-form "http://h?q" has an empty path
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
  authority.clear();
  path_begin_ = 0;
  path.clear();
  query.clear();
  body.clear();
  remote_address.clear();
  origin.clear();
  request_id.clear();
  version = 11;
  annotations.route.clear();  // clear(), not = {}: the strings keep their capacity
  annotations.tenant.clear();
  annotations.db_time = {};
  annotations.db_rows = annotations.db_statements = 0;
  header_data_.clear();
  header_slots_.clear();
}

}  // namespace tenantry::http

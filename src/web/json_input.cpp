#include "tenantry/web/json_input.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <boost/json/parse.hpp>

#include "core/text.hpp"

namespace tenantry::web {

namespace {
constexpr http::ProblemType<400> kInvalidJson{"invalid-json", "Invalid JSON"};
}  // namespace

std::string must_be_one_of(const std::vector<std::string_view>& allowed) {
  return fmt::format("Must be one of: {}.", fmt::join(allowed, ", "));
}

JsonInput::JsonInput(const http::Request& request) {
  boost::system::error_code ec;
  auto value = boost::json::parse(request.body, ec);
  if (ec || !value.is_object()) throw http::BadRequest(kInvalidJson, "The body must be a JSON object.");
  object_ = std::move(value.as_object());
}

bool JsonInput::has(std::string_view field) const {
  return object_.contains(field);
}

bool JsonInput::is_null(std::string_view field) const {
  auto it = object_.find(field);
  return it != object_.end() && it->value().is_null();
}

bool JsonInput::is_empty_string(std::string_view field) const {
  auto it = object_.find(field);
  return it != object_.end() && it->value().is_string() && it->value().as_string().empty();
}

const boost::json::value* JsonInput::find(std::string_view field, const Rule& rule) {
  auto it = object_.find(field);
  if (it == object_.end()) {
    if (rule.required) error(std::string(field), "This field is required.");
    return nullptr;
  }
  if (it->value().is_null()) {
    if (!rule.nullable) error(std::string(field), "This field may not be null.");
    return nullptr;
  }
  return &it->value();
}

std::optional<std::string> JsonInput::string(std::string_view field, Rule rule) {
  const auto* v = find(field, rule);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    error(std::string(field), "Must be a string.");
    return std::nullopt;
  }
  std::string s(v->as_string());
  // PostgreSQL text cannot hold NUL and libpq would cut the value there: what was checked is not what would
  // be stored (an e-mail with a NUL tail logged into the account before the NUL).
  if (s.find('\0') != std::string::npos) {
    error(std::string(field), "May not contain the NUL character (U+0000).");
    return std::nullopt;
  }
  if (rule.single_line && std::any_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      })) {
    error(std::string(field), "May not contain line breaks or other control characters.");
    return std::nullopt;
  }
  // Length in characters (UTF-8 code points), as a user counts them.
  std::int64_t length = 0;
  for (unsigned char c : s) length += (c & 0xC0) != 0x80;
  if (rule.min && length < *rule.min) {
    error(std::string(field), *rule.min == 1
                                  ? "May not be blank."
                                  : "Must be at least " + std::to_string(*rule.min) + " characters.");
    return std::nullopt;
  }
  if (rule.max && length > *rule.max) {
    error(std::string(field), "Must be at most " + std::to_string(*rule.max) + " characters.");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> JsonInput::integer(std::string_view field, Rule rule) {
  const auto* v = find(field, rule);
  if (v == nullptr) return std::nullopt;
  std::int64_t n;
  if (v->is_int64())
    n = v->as_int64();
  else if (v->is_uint64() && v->as_uint64() <= INT64_MAX)
    n = static_cast<std::int64_t>(v->as_uint64());
  else {
    error(std::string(field), "Must be an integer.");
    return std::nullopt;
  }
  if (rule.min && n < *rule.min) {
    error(std::string(field), "Must be at least " + std::to_string(*rule.min) + ".");
    return std::nullopt;
  }
  if (rule.max && n > *rule.max) {
    error(std::string(field), "Must be at most " + std::to_string(*rule.max) + ".");
    return std::nullopt;
  }
  return n;
}

std::optional<bool> JsonInput::boolean(std::string_view field, Rule rule) {
  const auto* v = find(field, rule);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) {
    error(std::string(field), "Must be true or false.");
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::string> JsonInput::choice(std::string_view field,
                                             const std::vector<std::string_view>& allowed, Rule rule) {
  auto s = string(field, rule);
  if (!s) return s;
  for (auto a : allowed)
    if (*s == a) return s;
  error(std::string(field), must_be_one_of(allowed));
  return std::nullopt;
}

std::optional<std::string> normalize_email(std::string_view text) {
  std::string s(tenantry::detail::trim_blanks(text));
  // ASCII only, so that lower-casing here is exactly what PostgreSQL's lower() (users_email) compares; no
  // controls, spaces or characters that have a meaning in mail headers.
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || std::string_view("<>,;:\"()[]\\").find(c) != std::string_view::npos)
      return std::nullopt;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const auto at = s.find('@');
  const bool valid = s.size() >= 3 && s.size() <= 254 && at != std::string::npos && at > 0 &&
                     s.find('@', at + 1) == std::string::npos && s.find('.', at) != std::string::npos &&
                     s.back() != '.' && s.find('.', at + 1) != at + 1;
  if (!valid) return std::nullopt;
  return s;
}

std::optional<std::string> JsonInput::email(std::string_view field, Rule rule) {
  if (!rule.max) rule.max = 256;  // the address itself is checked for 254 once trimmed
  auto s = string(field, rule);
  if (!s) return s;
  auto normalized = normalize_email(*s);
  if (!normalized) error(std::string(field), "Enter a valid e-mail address.");
  return normalized;
}

void JsonInput::only(const std::vector<std::string_view>& known,
                     const std::vector<std::string_view>& read_only) {
  for (auto field : read_only) object_.erase(field);
  for (const auto& [key, value] : object_) {
    (void)value;
    bool listed = false;
    for (auto k : known) listed |= key == k;
    if (!listed) error(std::string(key), "Unknown field.");
  }
}

void JsonInput::finish() const {
  if (!errors_.empty()) throw http::Invalid(errors_);
}

}  // namespace tenantry::web

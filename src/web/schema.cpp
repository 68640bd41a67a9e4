#include "tenantry/web/schema.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <stdexcept>

#include "core/text.hpp"

namespace tenantry::web {

struct Schema::Node {
  Type type = Type::kAny;
  std::string format;  // "email", "date-time", "uri"
  std::int64_t min_length = 0;
  std::optional<std::int64_t> max_length;
  bool single_line = false;
  std::optional<std::int64_t> minimum, maximum;
  std::function<std::string(std::string_view)> check;
  std::string pattern;
  std::vector<std::string> values;    // a choice
  std::vector<std::string> ordering;  // an ordering's field names
  std::optional<Schema> items;        // an array's
  std::optional<std::int64_t> max_items;
  std::vector<Property> properties;
  /// Which write an object describes; none: the object as shown (and plain input objects).
  std::optional<Write> write;
  bool open = false;  // any_object(): every property allowed
  bool nullable = false;
  std::string description;
  std::optional<boost::json::value> example;
  std::string name;
};

namespace {

const std::string kRefPrefix = "#/components/schemas/";

bool required(const Schema::Property& p, std::optional<Write> write) {
  if (!write) return p.presence != Presence::kOptional;
  switch (*write) {
    case Write::kCreate:
      return p.presence == Presence::kRequired;
    case Write::kReplace:
      return p.presence == Presence::kRequired || p.presence == Presence::kDefaulted;
    case Write::kPatch:
      break;
  }
  return false;
}

std::int64_t code_points(std::string_view s) {
  std::int64_t length = 0;
  for (unsigned char c : s) length += (c & 0xC0) != 0x80;
  return length;
}

std::string field_path(const std::string& parent, std::string_view child) {
  return parent.empty() ? std::string(child) : parent + "." + std::string(child);
}

std::optional<std::int64_t> as_int64(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.as_uint64());
  return std::nullopt;
}

/// The first problem of an ordering's text, or empty when every term names a field.
std::string ordering_error(std::string_view spec, const std::vector<std::string>& fields) {
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    std::string_view term = spec.substr(start, comma - start);
    start = comma + 1;
    if (term.starts_with('-')) term.remove_prefix(1);
    if (std::find(fields.begin(), fields.end(), term) == fields.end())
      return fmt::format("Unknown ordering field '{}'; allowed: {} (each optionally prefixed with '-').",
                         term, fmt::join(fields, ", "));
  }
  return {};
}

}  // namespace

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

std::string must_be_one_of(const std::vector<std::string>& allowed) {
  return fmt::format("Must be one of: {}.", fmt::join(allowed, ", "));
}

Schema Schema::of(Node node) {
  return Schema(std::make_shared<const Node>(std::move(node)));
}

Schema::Node Schema::copy() const {
  return *node_;
}

Schema Schema::string(std::int64_t min_length, std::optional<std::int64_t> max_length) {
  return of({.type = Type::kString, .min_length = min_length, .max_length = max_length});
}

Schema Schema::line(std::int64_t min_length, std::int64_t max_length) {
  return of({.type = Type::kString, .min_length = min_length, .max_length = max_length, .single_line = true});
}

Schema Schema::email() {
  // 256: the address itself is checked for 254 once trimmed.
  return of({.type = Type::kString, .format = "email", .max_length = 256});
}

Schema Schema::email_or_empty() {
  Node n = email().copy();
  n.format = "email-or-empty";
  return of(std::move(n));
}

Schema Schema::extend(std::vector<Property> more) const {
  if (node_->type != Type::kObject) throw std::logic_error("extend() of a schema that is no object");
  Node n = copy();
  n.name.clear();
  for (auto& p : more) n.properties.push_back(std::move(p));
  return of(std::move(n));
}

Schema Schema::timestamp() {
  return of({.type = Type::kString, .format = "date-time"});
}

Schema Schema::url() {
  return of({.type = Type::kString, .format = "uri"});
}

Schema Schema::choice(std::vector<std::string> values) {
  return of({.type = Type::kString, .values = std::move(values)});
}

Schema Schema::integer(std::optional<std::int64_t> minimum, std::optional<std::int64_t> maximum) {
  return of({.type = Type::kInteger, .minimum = minimum, .maximum = maximum});
}

Schema Schema::boolean() {
  return of({.type = Type::kBoolean});
}

Schema Schema::array(Schema items, std::optional<std::int64_t> max_items) {
  return of({.type = Type::kArray, .items = std::move(items), .max_items = max_items});
}

Schema Schema::object(std::vector<Property> properties) {
  return of({.type = Type::kObject, .properties = std::move(properties)});
}

Schema Schema::any_object() {
  return of({.type = Type::kObject, .open = true});
}

Schema Schema::ordering(std::vector<std::string> fields) {
  return of({.type = Type::kString, .ordering = std::move(fields)});
}

Schema Schema::check(std::function<std::string(std::string_view)> why_not, std::string pattern) const {
  Node n = copy();
  n.check = std::move(why_not);
  n.pattern = std::move(pattern);
  return of(std::move(n));
}

Schema Schema::nullable() const {
  Node n = copy();
  n.nullable = true;
  return of(std::move(n));
}

Schema Schema::describe(std::string description) const {
  Node n = copy();
  n.description = std::move(description);
  return of(std::move(n));
}

Schema Schema::example(boost::json::value value) const {
  Node n = copy();
  n.example = std::move(value);
  return of(std::move(n));
}

Schema Schema::named(std::string name) const {
  Node n = copy();
  n.name = std::move(name);
  return of(std::move(n));
}

Schema Schema::for_write(Write write, std::string name) const {
  if (node_->type != Type::kObject) throw std::logic_error("for_write() of a schema that is no object");
  Node n = copy();
  n.write = write;
  n.name = std::move(name);
  return of(std::move(n));
}

Schema::Type Schema::type() const noexcept {
  return node_->type;
}

const std::string& Schema::name() const noexcept {
  return node_->name;
}

bool Schema::is_nullable() const noexcept {
  return node_->nullable;
}

void Schema::validate(boost::json::value& value, const std::string& path,
                      std::vector<http::FieldError>& errors) const {
  const Node& n = *node_;
  auto fail = [&](std::string message) { errors.push_back({path, std::move(message)}); };
  if (value.is_null()) {
    if (!n.nullable) fail("This field may not be null.");
    return;
  }
  switch (n.type) {
    case Type::kAny:
      return;
    case Type::kBoolean:
      if (!value.is_bool()) fail("Must be true or false.");
      return;
    case Type::kInteger: {
      const auto number = as_int64(value);
      if (!number) return fail("Must be an integer.");
      if (n.minimum && *number < *n.minimum) return fail(fmt::format("Must be at least {}.", *n.minimum));
      if (n.maximum && *number > *n.maximum) return fail(fmt::format("Must be at most {}.", *n.maximum));
      return;
    }
    case Type::kString: {
      if (!value.is_string()) return fail("Must be a string.");
      const std::string_view s = value.as_string();
      // libpq would cut the value at a NUL: what was checked would not be what is stored.
      if (s.find('\0') != std::string_view::npos) return fail("May not contain the NUL character (U+0000).");
      if (n.single_line && std::any_of(s.begin(), s.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
          }))
        return fail("May not contain line breaks or other control characters.");
      const std::int64_t length = code_points(s);
      if (length < n.min_length)
        return fail(n.min_length == 1 ? "May not be blank."
                                      : fmt::format("Must be at least {} characters.", n.min_length));
      if (n.max_length && length > *n.max_length)
        return fail(fmt::format("Must be at most {} characters.", *n.max_length));
      if (!n.values.empty() && std::find(n.values.begin(), n.values.end(), s) == n.values.end())
        return fail(must_be_one_of(n.values));
      if (!n.ordering.empty()) {
        if (auto message = ordering_error(s, n.ordering); !message.empty()) return fail(std::move(message));
      }
      if (n.check) {
        if (auto message = n.check(s); !message.empty()) return fail(std::move(message));
      }
      if (n.format == "email-or-empty" && s.empty()) return;
      if (n.format.starts_with("email")) {
        auto normalized = normalize_email(s);
        if (!normalized) return fail("Enter a valid e-mail address.");
        value = *normalized;
      }
      return;
    }
    case Type::kArray: {
      if (!value.is_array()) return fail("Must be a list.");
      auto& array = value.as_array();
      if (n.max_items && static_cast<std::int64_t>(array.size()) > *n.max_items)
        return fail(fmt::format("Must have at most {} items.", *n.max_items));
      for (std::size_t i = 0; i < array.size(); ++i)
        n.items->validate(array[i], fmt::format("{}[{}]", path, i), errors);
      return;
    }
    case Type::kObject: {
      if (!value.is_object())
        return fail(path.empty() ? "The body must be a JSON object." : "Must be an object.");
      if (n.open) return;
      auto& object = value.as_object();
      for (const Property& p : n.properties) {
        if (p.presence == Presence::kReadOnly) {
          object.erase(p.name);  // shown by a GET, sent back: accepted and ignored
          continue;
        }
        auto* field = object.if_contains(p.name);
        if (field == nullptr) {
          if (required(p, n.write)) errors.push_back({field_path(path, p.name), "This field is required."});
          continue;
        }
        p.schema.validate(*field, field_path(path, p.name), errors);
      }
      for (const auto& [key, member] : object) {
        (void)member;
        if (std::none_of(n.properties.begin(), n.properties.end(),
                         [&](const Property& p) { return p.name == key; }))
          errors.push_back({field_path(path, key), "Unknown field."});
      }
      return;
    }
  }
}

std::optional<boost::json::value> Schema::parse_query(std::string_view name, std::string_view text,
                                                      std::vector<http::FieldError>& errors) const {
  boost::json::value value;
  switch (node_->type) {
    case Type::kInteger: {
      std::int64_t number = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
        errors.push_back({std::string(name), "Must be an integer."});
        return std::nullopt;
      }
      value = number;
      break;
    }
    case Type::kBoolean:
      if (text == "true" || text == "1") {
        value = true;
      } else if (text == "false" || text == "0") {
        value = false;
      } else {
        errors.push_back({std::string(name), "Must be true or false."});
        return std::nullopt;
      }
      break;
    default:
      value = boost::json::string(text);
  }
  const std::size_t before = errors.size();
  validate(value, std::string(name), errors);
  if (errors.size() != before) return std::nullopt;
  return value;
}

namespace {

boost::json::value type_json(const char* type, bool nullable) {
  if (!nullable) return boost::json::string(type);
  return boost::json::array{type, "null"};
}

}  // namespace

boost::json::value Schema::to_json(boost::json::object& components) const {
  const Node& n = *node_;
  if (!n.name.empty()) {
    // Published once; a second, different schema under the same name is a declaration error.
    Node anonymous = copy();
    anonymous.name.clear();
    anonymous.nullable = false;
    const bool seen = components.contains(n.name);
    if (!seen) components[n.name] = nullptr;  // a placeholder, should the schema refer to itself
    boost::json::value body = of(std::move(anonymous)).to_json(components);
    if (seen && components[n.name] != body)
      throw std::logic_error("two different schemas are named " + n.name);
    components[n.name] = std::move(body);
    boost::json::object ref{{"$ref", kRefPrefix + n.name}};
    if (!n.nullable) return ref;
    return boost::json::object{{"anyOf", boost::json::array{ref, {{"type", "null"}}}}};
  }
  boost::json::object out;
  switch (n.type) {
    case Type::kAny:
      break;
    case Type::kBoolean:
      out["type"] = type_json("boolean", n.nullable);
      break;
    case Type::kInteger:
      out["type"] = type_json("integer", n.nullable);
      if (n.minimum) out["minimum"] = *n.minimum;
      if (n.maximum) out["maximum"] = *n.maximum;
      break;
    case Type::kString:
      out["type"] = type_json("string", n.nullable);
      if (n.format == "email-or-empty")
        out["anyOf"] = boost::json::array{{{"format", "email"}}, {{"const", ""}}};
      else if (!n.format.empty())
        out["format"] = n.format;
      if (n.min_length > 0) out["minLength"] = n.min_length;
      if (n.max_length) out["maxLength"] = *n.max_length;
      if (n.single_line) out["pattern"] = "^[^\\u0000-\\u001f\\u007f]*$";
      if (!n.pattern.empty()) out["pattern"] = n.pattern;
      if (!n.values.empty()) {
        boost::json::array values(n.values.begin(), n.values.end());
        if (n.nullable) values.push_back(nullptr);
        out["enum"] = std::move(values);
      }
      if (!n.ordering.empty()) {
        const std::string names = fmt::format("{}", fmt::join(n.ordering, "|"));
        out["pattern"] = fmt::format("^-?({0})(,-?({0}))*$", names);
      }
      break;
    case Type::kArray:
      out["type"] = type_json("array", n.nullable);
      out["items"] = n.items->to_json(components);
      if (n.max_items) out["maxItems"] = *n.max_items;
      break;
    case Type::kObject: {
      out["type"] = type_json("object", n.nullable);
      if (n.open) break;
      boost::json::object properties;
      boost::json::array required_names;
      for (const Property& p : n.properties) {
        boost::json::value property = p.schema.to_json(components);
        if (p.presence == Presence::kReadOnly) property.as_object()["readOnly"] = true;
        properties[p.name] = std::move(property);
        // A write's read-only fields may be left out; what a GET shows always has them.
        if (required(p, n.write)) required_names.push_back(boost::json::string(p.name));
      }
      out["properties"] = std::move(properties);
      if (!required_names.empty()) out["required"] = std::move(required_names);
      out["additionalProperties"] = false;
      break;
    }
  }
  if (!n.description.empty()) out["description"] = n.description;
  if (n.example) out["examples"] = boost::json::array{*n.example};
  return out;
}

}  // namespace tenantry::web

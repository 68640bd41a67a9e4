#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenantry/http/problem.hpp"

namespace tenantry::web {

/// How a property of an object schema takes part in what a client reads and writes (DRF's read_only,
/// required and default, in one word).
enum class Presence {
  /// Always shown; required on create and on replace.
  kRequired,
  /// Always shown; may be left out on create (a default applies), required on replace.
  kDefaulted,
  /// May be left out on every write; shown or absent.
  kOptional,
  /// Always shown, never written: accepted and ignored on writes, so that a client may send back what it
  /// read.
  kReadOnly,
};

/// Which body of a resource's writes a schema describes (see Schema::for_write).
enum class Write { kCreate, kReplace, kPatch };

/// A typed declaration of a JSON value: what the server validates requests against (every error at once,
/// with the field named) and what the OpenAPI document publishes, from the same object, so that the two
/// cannot drift. A small subset of JSON Schema 2020-12 with the rules our APIs need; to_json() emits it.
///
/// Schemas are values (cheap to copy: the tree is shared and immutable); the modifiers return changed copies.
///
///   const web::Schema product = web::Schema::object({
///       {"id", web::Schema::integer(1), web::Presence::kReadOnly},
///       {"sku", web::Schema::line(1, 64)}, ...}).named("Product");
///   product.for_write(web::Write::kPatch)  // every writable field optional: "ProductPatch"
class Schema {
 public:
  enum class Type { kString, kInteger, kBoolean, kObject, kArray, kAny };
  struct Property;

  /// Text of `min_length` to `max_length` characters (UTF-8 code points), never a NUL (PostgreSQL text cannot
  /// hold one).
  static Schema string(std::int64_t min_length = 0, std::optional<std::int64_t> max_length = std::nullopt);
  /// string() without line breaks or other control characters (names shown in mail subjects and logs).
  static Schema line(std::int64_t min_length, std::int64_t max_length);
  /// An e-mail address (see normalize_email); the validated value is the normalised address.
  static Schema email();
  /// email(), or "" for none.
  static Schema email_or_empty();
  /// An RFC 3339 timestamp, as the server writes them.
  static Schema timestamp();
  /// An absolute URL.
  static Schema url();
  /// One of `values`.
  static Schema choice(std::vector<std::string> values);
  static Schema integer(std::optional<std::int64_t> minimum = std::nullopt,
                        std::optional<std::int64_t> maximum = std::nullopt);
  static Schema boolean();
  static Schema array(Schema items, std::optional<std::int64_t> max_items = std::nullopt);
  /// An object with exactly these properties (an unknown one is an error, naming it).
  static Schema object(std::vector<Property> properties);
  /// Any JSON object (e.g. an audit entry's free-form details).
  static Schema any_object();
  /// A list's `?ordering=a,-b`: comma-separated names of `fields`, each optionally prefixed with '-'.
  static Schema ordering(std::vector<std::string> fields);

  /// This object with `more` properties after its own.
  Schema extend(std::vector<Property> more) const;
  /// A string that `why_not` also accepts: it returns the field error of a value, or "" when it is valid
  /// (rules no JSON Schema keyword states exactly, e.g. reserved names); `pattern` documents what it can.
  Schema check(std::function<std::string(std::string_view)> why_not, std::string pattern = {}) const;
  /// The same, also accepting null.
  Schema nullable() const;
  Schema describe(std::string description) const;
  Schema example(boost::json::value value) const;
  /// Published once under components/schemas/<name> and referenced from every use.
  Schema named(std::string name) const;
  /// An object resource's body for `write`, named `name`: read-only properties accepted (and ignored),
  /// kRequired ones required on create and replace, kDefaulted ones on replace, nothing required to patch.
  Schema for_write(Write write, std::string name) const;

  Type type() const noexcept;
  const std::string& name() const noexcept;
  bool is_nullable() const noexcept;

  /// Checks a request's `value` (a body, or a query parameter read by parse_query), appending an error for
  /// each violation under `path` (a field name; nested fields as "a.b", items as "a[0]"). Values are tidied
  /// in place where the schema says so: read-only properties are removed, e-mail addresses normalised.
  void validate(boost::json::value& value, const std::string& path,
                std::vector<http::FieldError>& errors) const;
  /// The typed value of a query parameter's text (integer, boolean or string), or nullopt after appending
  /// its error.
  std::optional<boost::json::value> parse_query(std::string_view name, std::string_view text,
                                                std::vector<http::FieldError>& errors) const;

  /// JSON Schema for this value: named schemas become a $ref to components/schemas, added to `components`.
  boost::json::value to_json(boost::json::object& components) const;

  struct Node;

 private:
  explicit Schema(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  static Schema of(Node node);
  Node copy() const;
  std::shared_ptr<const Node> node_;
};

/// A property of an object schema.
struct Schema::Property {
  std::string name;
  Schema schema;
  Presence presence = Presence::kRequired;
};

/// An e-mail address as the database compares it (trimmed, lower-cased), or nullopt when it is not one: one
/// '@', a dot in the domain, ASCII without spaces, controls or header punctuation, at most 254 characters.
/// Every lookup and throttle of an account keys on this value.
std::optional<std::string> normalize_email(std::string_view text);

/// The field error of a value outside `allowed`: "Must be one of: a, b, c."
std::string must_be_one_of(const std::vector<std::string>& allowed);

}  // namespace tenantry::web

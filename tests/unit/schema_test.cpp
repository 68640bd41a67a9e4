#include "tenantry/web/schema.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tenantry/web/operation.hpp"

namespace tenantry::web {
namespace {

namespace json = boost::json;

const Schema& product() {
  static const Schema schema = Schema::object({{"id", Schema::integer(1), Presence::kReadOnly},
                                               {"sku", Schema::line(1, 8)},
                                               {"price", Schema::integer(0, 100)},
                                               {"stock", Schema::integer(0), Presence::kDefaulted},
                                               {"note", Schema::string().nullable(), Presence::kOptional}})
                                   .named("Product");
  return schema;
}

std::vector<http::FieldError> errors_of(const Schema& schema, json::value value) {
  std::vector<http::FieldError> errors;
  schema.validate(value, "", errors);
  return errors;
}

std::string messages(const std::vector<http::FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.field + ": " + e.message + "\n";
  return out;
}

TEST(Schema, ReportsEveryErrorOfABodyAtOnce) {
  const auto errors = errors_of(product().for_write(Write::kCreate, "ProductCreate"),
                                json::parse(R"({"sku": "", "price": 101, "colour": "red"})"));
  EXPECT_EQ(messages(errors),
            "sku: May not be blank.\nprice: Must be at most 100.\ncolour: Unknown field.\n");
}

TEST(Schema, RequiredFieldsDependOnTheWrite) {
  const json::value only_sku = json::parse(R"({"sku": "A1"})");
  EXPECT_EQ(messages(errors_of(product().for_write(Write::kCreate, "C"), only_sku)),
            "price: This field is required.\n");
  EXPECT_EQ(messages(errors_of(product().for_write(Write::kReplace, "R"), only_sku)),
            "price: This field is required.\nstock: This field is required.\n");
  EXPECT_TRUE(errors_of(product().for_write(Write::kPatch, "P"), only_sku).empty());
}

TEST(Schema, ReadOnlyFieldsAreAcceptedAndRemoved) {
  json::value body = json::parse(R"({"id": 7, "sku": "A1", "price": 5})");
  std::vector<http::FieldError> errors;
  product().for_write(Write::kCreate, "C").validate(body, "", errors);
  EXPECT_TRUE(errors.empty()) << messages(errors);
  EXPECT_FALSE(body.as_object().contains("id"));
}

TEST(Schema, TypesNullsControlsAndNul) {
  const auto errors =
      errors_of(product(), json::parse(R"({"id": 1, "sku": "a\nb", "price": "5", "stock": null,
                                                          "note": null})"));
  EXPECT_EQ(messages(errors),
            "sku: May not contain line breaks or other control characters.\nprice: Must be an integer.\n"
            "stock: This field may not be null.\n");
  json::value nul = json::string(std::string("a\0b", 3));
  std::vector<http::FieldError> nul_errors;
  Schema::string().validate(nul, "x", nul_errors);
  EXPECT_EQ(messages(nul_errors), "x: May not contain the NUL character (U+0000).\n");
}

TEST(Schema, LengthsCountCharactersNotBytes) {
  EXPECT_TRUE(errors_of(Schema::string(0, 3), json::string("äöü")).empty());
  EXPECT_FALSE(errors_of(Schema::string(0, 2), json::string("äöü")).empty());
}

TEST(Schema, EmailsAreNormalised) {
  json::value value = json::string("  Ada@Example.COM ");
  std::vector<http::FieldError> errors;
  Schema::email().validate(value, "email", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(value, "ada@example.com");
  EXPECT_EQ(messages(errors_of(Schema::email(), json::string("nobody"))),
            ": Enter a valid e-mail address.\n");
  EXPECT_TRUE(errors_of(Schema::email_or_empty(), json::string("")).empty());
}

TEST(Schema, NestedPathsNameTheField) {
  const Schema list =
      Schema::object({{"items", Schema::array(Schema::object({{"n", Schema::integer(0)}}), 2)}});
  EXPECT_EQ(messages(errors_of(list, json::parse(R"({"items": [{"n": 1}, {"n": -1}]})"))),
            "items[1].n: Must be at least 0.\n");
  EXPECT_EQ(messages(errors_of(list, json::parse(R"({"items": [{}, {}, {}]})"))),
            "items: Must have at most 2 items.\n");
}

TEST(Schema, QueryTextIsTyped) {
  std::vector<http::FieldError> errors;
  EXPECT_EQ(*Schema::integer(0).parse_query("n", "42", errors), 42);
  EXPECT_EQ(*Schema::boolean().parse_query("b", "0", errors), false);
  EXPECT_FALSE(Schema::integer(0).parse_query("n", "4x", errors));
  EXPECT_FALSE(Schema::choice({"a", "b"}).parse_query("c", "z", errors));
  EXPECT_FALSE(Schema::ordering({"id", "name"}).parse_query("ordering", "-name,price", errors));
  EXPECT_TRUE(Schema::ordering({"id", "name"}).parse_query("ordering", "-name,id", errors));
  EXPECT_EQ(messages(errors),
            "n: Must be an integer.\nc: Must be one of: a, b.\nordering: Unknown ordering field 'price'; "
            "allowed: id, name (each optionally prefixed with '-').\n");
}

TEST(Schema, EmitsJsonSchemaWithComponents) {
  json::object components;
  const json::value ref = product().for_write(Write::kCreate, "ProductCreate").to_json(components);
  EXPECT_EQ(ref, json::parse(R"({"$ref": "#/components/schemas/ProductCreate"})"));
  const json::value expected = json::parse(R"({
    "type": "object",
    "properties": {
      "id": {"type": "integer", "minimum": 1, "readOnly": true},
      "sku": {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[^\\u0000-\\u001f\\u007f]*$"},
      "price": {"type": "integer", "minimum": 0, "maximum": 100},
      "stock": {"type": "integer", "minimum": 0},
      "note": {"type": ["string", "null"]}
    },
    "required": ["sku", "price"],
    "additionalProperties": false
  })");
  EXPECT_EQ(components.at("ProductCreate"), expected);
  // The resource as shown requires what it always has, read-only fields included.
  product().to_json(components);
  EXPECT_EQ(components.at("Product").at("required"), json::parse(R"(["id", "sku", "price", "stock"])"));
}

TEST(Schema, ADifferentSchemaUnderATakenNameIsRefused) {
  json::object components;
  Schema::integer().named("X").to_json(components);
  Schema::integer().named("X").to_json(components);  // the same again: fine
  EXPECT_THROW(Schema::boolean().named("X").to_json(components), std::logic_error);
}

TEST(ValidateInput, UnknownAndRepeatedQueryParametersAreErrors) {
  const Operation op{
      .summary = "List", .query = {{"q", Schema::string(0, 10)}}, .page_of = Schema::integer()};
  http::Request request;
  ASSERT_TRUE(request.set_target("/x?q=a&q=b&limit=0&colour=red"));
  EXPECT_EQ(messages(validate_input(op, request).errors),
            "q: Give this parameter once.\nlimit: Must be at least 1.\ncolour: Unknown query parameter.\n");
  ASSERT_TRUE(request.set_target("/x?q=a&limit=5"));
  const ValidatedInput input = validate_input(op, request);
  EXPECT_TRUE(input.errors.empty());
  EXPECT_EQ(*input.query.string("q"), "a");
  EXPECT_EQ(*input.query.integer("limit"), 5);
}

TEST(ValidateInput, BodiesMustBeJsonObjects) {
  const Operation op{.summary = "Create", .body = Schema::object({{"n", Schema::integer()}})};
  http::Request request;
  request.body = "[1]";
  try {
    validate_input(op, request);
    FAIL() << "no error";
  } catch (const http::ProblemError& e) {
    EXPECT_EQ(e.problem().type, "invalid-json");
  }
  request.body = R"({"n": 3})";
  EXPECT_EQ(*validate_input(op, request).body.integer("n"), 3);
}

}  // namespace
}  // namespace tenantry::web

#include "tenantry/web/json_input.hpp"

#include <gtest/gtest.h>

#include "problem_matchers.hpp"

namespace tenantry::web {
namespace {

using testing::field_errors;
using testing::problem_of;
using Errors = std::vector<std::pair<std::string, std::string>>;

http::Request body(std::string text) {
  http::Request r;
  r.method = "POST";
  r.body = std::move(text);
  return r;
}

TEST(JsonInput, ABodyThatIsNotAJsonObjectIs400InvalidJson) {
  for (const char* text : {"", "not json", "[1, 2]", "\"text\"", "{\"a\": 1"}) {
    const auto request = body(text);
    auto p = problem_of([&] { JsonInput in(request); });
    ASSERT_TRUE(p) << text;
    EXPECT_EQ(p->status, 400) << text;
    EXPECT_EQ(p->type, "invalid-json") << text;
  }
}

TEST(JsonInput, ReadsTypedFieldsAndFinishesWithoutErrors) {
  const auto request = body(R"({"name": "Lamp", "price": 1200, "big": 9007199254740993, "on": true,
                                "kind": "b", "mail": "  Ann@Example.COM "})");
  JsonInput in(request);
  EXPECT_EQ(in.string("name", {.required = true, .max = 200}), "Lamp");
  EXPECT_EQ(in.integer("price", {.required = true, .min = 0}), 1200);
  EXPECT_EQ(in.integer("big"), 9007199254740993);
  EXPECT_EQ(in.boolean("on"), true);
  EXPECT_EQ(in.choice("kind", {"a", "b"}), "b");
  EXPECT_EQ(in.email("mail"), "ann@example.com");
  EXPECT_EQ(in.string("absent"), std::nullopt);
  EXPECT_TRUE(in.ok());
  EXPECT_NO_THROW(in.finish());
}

TEST(JsonInput, CollectsEveryFieldErrorBeforeAnswering) {
  const auto request =
      body(R"({"name": 5, "price": -1, "on": "yes", "kind": "z", "mail": "nobody", "title": "", "n": null})");
  JsonInput in(request);
  EXPECT_EQ(in.string("name"), std::nullopt);
  EXPECT_EQ(in.integer("price", {.min = 0}), std::nullopt);
  EXPECT_EQ(in.boolean("on"), std::nullopt);
  EXPECT_EQ(in.choice("kind", {"a", "b"}), std::nullopt);
  EXPECT_EQ(in.email("mail"), std::nullopt);
  EXPECT_EQ(in.string("title", {.min = 1}), std::nullopt);
  EXPECT_EQ(in.string("n"), std::nullopt);
  EXPECT_EQ(in.string("missing", {.required = true}), std::nullopt);
  EXPECT_FALSE(in.ok());
  auto p = problem_of([&] { in.finish(); });
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 400);
  EXPECT_EQ(p->type, "validation-error");
  EXPECT_EQ(p->detail, "8 fields are invalid.");
  EXPECT_EQ(field_errors(*p), (Errors{{"name", "Must be a string."},
                                      {"price", "Must be at least 0."},
                                      {"on", "Must be true or false."},
                                      {"kind", "Must be one of: a, b."},
                                      {"mail", "Enter a valid e-mail address."},
                                      {"title", "May not be blank."},
                                      {"n", "This field may not be null."},
                                      {"missing", "This field is required."}}));
}

TEST(JsonInput, OneErrorIsNamedInTheDetail) {
  const auto request = body(R"({"price": 101})");
  JsonInput in(request);
  in.integer("price", {.max = 100});
  auto p = problem_of([&] { in.finish(); });
  ASSERT_TRUE(p);
  EXPECT_EQ(p->detail, "price: Must be at most 100.");
}

TEST(JsonInput, StringLengthsCountCharactersNotBytes) {
  const auto request = body(R"({"ok": "café", "long": "cafés"})");  // 4 and 5 characters, 5 and 6 bytes
  JsonInput in(request);
  EXPECT_EQ(in.string("ok", {.max = 4}), "café");
  EXPECT_EQ(in.string("long", {.min = 2, .max = 4}), std::nullopt);
  EXPECT_EQ(field_errors(*problem_of([&] { in.finish(); })),
            (Errors{{"long", "Must be at most 4 characters."}}));
}

TEST(JsonInput, RefusesNulAndControlCharactersWhereSingleLine) {
  const auto request = body(R"({"nul": "a\u0000b", "name": "a\nb", "note": "a\nb"})");
  JsonInput in(request);
  EXPECT_EQ(in.string("nul"), std::nullopt);
  EXPECT_EQ(in.string("name", {.single_line = true}), std::nullopt);
  EXPECT_EQ(in.string("note"), "a\nb");  // multi-line text is fine where allowed
  EXPECT_EQ(field_errors(*problem_of([&] { in.finish(); })),
            (Errors{{"nul", "May not contain the NUL character (U+0000)."},
                    {"name", "May not contain line breaks or other control characters."}}));
}

TEST(JsonInput, NullableFieldsAcceptAnExplicitNull) {
  const auto request = body(R"({"note": null})");
  JsonInput in(request);
  EXPECT_TRUE(in.has("note"));
  EXPECT_TRUE(in.is_null("note"));
  EXPECT_FALSE(in.is_null("other"));
  EXPECT_EQ(in.string("note", {.nullable = true}), std::nullopt);
  EXPECT_TRUE(in.ok());
}

TEST(JsonInput, IntegersOutsideInt64AndFractionsAreNotIntegers) {
  const auto request = body(R"({"huge": 18446744073709551615, "half": 1.5})");
  JsonInput in(request);
  EXPECT_EQ(in.integer("huge"), std::nullopt);
  EXPECT_EQ(in.integer("half"), std::nullopt);
  EXPECT_EQ(field_errors(*problem_of([&] { in.finish(); })),
            (Errors{{"huge", "Must be an integer."}, {"half", "Must be an integer."}}));
}

TEST(JsonInput, OnlyNamesUnknownFields) {
  const auto request = body(R"({"name": "x", "nmae": "typo"})");
  JsonInput in(request);
  in.only({"name", "price"});
  EXPECT_EQ(field_errors(*problem_of([&] { in.finish(); })), (Errors{{"nmae", "Unknown field."}}));
}

TEST(NormalizeEmail, TrimsAndLowerCasesValidAddresses) {
  EXPECT_EQ(normalize_email(" \tSam@TechStore.Demo \t"), "sam@techstore.demo");
  EXPECT_EQ(normalize_email("a@b.c"), "a@b.c");
}

TEST(NormalizeEmail, RefusesWhatIsNoAddress) {
  for (const char* text :
       {"", "plain", "@example.com", "a@@b.com", "a@b@c.com", "a@nodot", "a@example.", "a@.example.com",
        "a b@example.com", "a@exämple.com", "<a@example.com>", "a,b@example.com", "a\r\n@example.com"})
    EXPECT_EQ(normalize_email(text), std::nullopt) << text;
  EXPECT_EQ(normalize_email(std::string(243, 'a') + "@example.com"), std::nullopt);  // 255 characters
  EXPECT_TRUE(normalize_email(std::string(242, 'a') + "@example.com"));              // 254
}

TEST(ProblemTypes, AThrownProblemCarriesItsTypeTitleAndDetail) {
  static constexpr http::ProblemType<409> kSlugTaken{"slug-taken", "Slug taken"};
  auto p = problem_of([] { throw http::Conflict(kSlugTaken, "Pick another."); });
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 409);
  EXPECT_EQ(p->type, "slug-taken");
  EXPECT_EQ(p->title, "Slug taken");
  EXPECT_EQ(p->detail, "Pick another.");
}

}  // namespace
}  // namespace tenantry::web

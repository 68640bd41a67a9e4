#include "tenantry/web/constraint_problems.hpp"

#include <gtest/gtest.h>

namespace tenantry::web {
namespace {

constexpr http::ProblemType<409> kDuplicateSku{"duplicate-sku", "Duplicate SKU"};

constexpr ConstraintProblem kTable[] = {
    answer_as("products_sku_key", kDuplicateSku, "A product with SKU '{value}' exists in this store."),
    invalid_field("tickets_product_id_fkey", "product_id", "No product with this id in this store."),
};

db::UniqueViolation violation(std::string constraint, std::string detail) {
  return db::UniqueViolation(
      {.sqlstate = "23505", .detail = std::move(detail), .constraint = std::move(constraint)});
}

TEST(ConstraintProblems, AnswerWithTheProblemOfTheirEntryAndTheKeyValue) {
  const auto problem =
      constraint_problem(violation("products_sku_key", "Key (sku)=(AB-(1)) already exists."), kTable);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->status, 409);
  EXPECT_EQ(problem->type, "duplicate-sku");
  EXPECT_EQ(problem->title, "Duplicate SKU");
  EXPECT_EQ(problem->detail, "A product with SKU 'AB-(1)' exists in this store.");
  EXPECT_TRUE(problem->errors.empty());
}

TEST(ConstraintProblems, FieldEntriesAnswerAsInvalidInput) {
  const db::ForeignKeyViolation gone({.sqlstate = "23503",
                                      .detail = "Key (product_id)=(7) is not present in table \"products\".",
                                      .constraint = "tickets_product_id_fkey"});
  const auto problem = constraint_problem(gone, kTable);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->status, 400);
  EXPECT_EQ(problem->type, "validation-error");
  ASSERT_EQ(problem->errors.size(), 1u);
  EXPECT_EQ(problem->errors[0].field, "product_id");
  EXPECT_EQ(problem->errors[0].message, "No product with this id in this store.");
  EXPECT_EQ(problem->detail, "product_id: No product with this id in this store.");
}

TEST(ConstraintProblems, ConstraintsNoEntryNamesAreLeftAlone) {
  EXPECT_FALSE(
      constraint_problem(violation("users_email", "Key (lower(email))=(a@b.c) already exists."), kTable));
  EXPECT_FALSE(constraint_problem(violation("", ""), kTable));
}

}  // namespace
}  // namespace tenantry::web

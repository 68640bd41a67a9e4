#include "tenantry/db/errors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <typeinfo>

namespace tenantry::db {
namespace {

/// The exception throw_server_error() raises for `code`, caught as the base of all server errors.
template <typename Catch = ServerError>
const std::type_info& thrown_for(const std::string& code) {
  try {
    throw_server_error({.sqlstate = code, .message = "boom"});
  } catch (const Catch& e) {
    return typeid(e);
  }
  return typeid(void);
}

TEST(SqlStateTable, EveryCodeThrowsItsOwnClassUnderItsBase) {
  // A class code ("23") stands for the whole class; a full code ("23505") for one condition.
#define TENANTRY_SQLSTATE(Name, Base, Code)                                                       \
  EXPECT_EQ(thrown_for(std::string(Code).size() == 2 ? Code "000" : Code), typeid(Name)) << Code; \
  EXPECT_EQ(thrown_for<Base>(std::string(Code).size() == 2 ? Code "000" : Code), typeid(Name)) << Code;
#include "tenantry/db/detail/sqlstates.def"
#undef TENANTRY_SQLSTATE
}

TEST(SqlStateTable, InvalidSchemaNameIsItsOwnClassNotSyntaxOrAccessRule) {
  EXPECT_EQ(thrown_for("3F000"), typeid(InvalidSchemaName));
  bool caught_as_42 = false;
  try {
    throw_server_error({.sqlstate = "3F000"});
    ADD_FAILURE() << "nothing thrown";
  } catch (const SyntaxErrorOrAccessRuleViolation&) {
    caught_as_42 = true;
  } catch (const InvalidSchemaName&) {
  }
  EXPECT_FALSE(caught_as_42);
}

TEST(SqlStateTable, UnknownCodesFallBackToTheirClass) {
  EXPECT_EQ(thrown_for("23999"), typeid(IntegrityConstraintViolation));
  EXPECT_EQ(thrown_for("42ZZZ"), typeid(SyntaxErrorOrAccessRuleViolation));
  EXPECT_EQ(thrown_for("57P99"), typeid(OperatorIntervention));
}

TEST(SqlStateTable, UnknownClassesAreServerErrors) {
  EXPECT_EQ(thrown_for("XX000"), typeid(ServerError));
  EXPECT_EQ(thrown_for(""), typeid(ServerError));
}

TEST(SqlStateTable, TheFieldsTravelWithTheException) {
  try {
    throw_server_error({.sqlstate = "23505", .message = "duplicate key", .constraint = "products_sku_key"});
    ADD_FAILURE() << "nothing thrown";
  } catch (const UniqueViolation& e) {
    EXPECT_EQ(e.constraint(), "products_sku_key");
    EXPECT_STREQ(e.what(), "duplicate key");
  }
}

}  // namespace
}  // namespace tenantry::db

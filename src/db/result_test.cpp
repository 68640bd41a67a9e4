#include <gtest/gtest.h>

#include "tenantry/db/params.hpp"
#include "tenantry/db/result.hpp"

namespace tenantry::db {
namespace {

using namespace std::chrono;

TEST(Timestamp, FormatsAsUtcWithMicroseconds) {
  const Timestamp t = time_point_cast<microseconds>(sys_days{2026y / 11 / 22}) + hours{14} + minutes{5} +
                      seconds{9} + microseconds{42};
  EXPECT_EQ(format_timestamp(t), "2026-11-22 14:05:09.000042+00");
}

TEST(Timestamp, ParsesServerFormsAndOffsets) {
  const Timestamp base = time_point_cast<microseconds>(sys_days{2026y / 11 / 22}) + hours{14};
  EXPECT_EQ(parse_timestamp("2026-11-22 14:00:00+00"), base);
  EXPECT_EQ(parse_timestamp("2026-11-22 14:00:00.5+00"), base + milliseconds{500});
  EXPECT_EQ(parse_timestamp("2026-11-22 16:30:00+02:30"), base);
  EXPECT_EQ(parse_timestamp("2026-11-22 14:00:00"), base);
  EXPECT_THROW(parse_timestamp("2026-13-22 14:00:00"), DecodeError);
  EXPECT_THROW(parse_timestamp("yesterday"), DecodeError);
}

TEST(Timestamp, Rfc3339FromTheServersTextAndFromATimePoint) {
  EXPECT_EQ(rfc3339_from_text("2026-12-01 20:25:12.36+00"), "2026-12-01T20:25:12.360Z");
  EXPECT_EQ(rfc3339_from_text("2026-12-01 20:25:12.123456+00"), "2026-12-01T20:25:12.123Z");
  EXPECT_EQ(rfc3339_from_text("2026-12-01 20:25:12+00"), "2026-12-01T20:25:12.000Z");
  EXPECT_EQ(rfc3339_from_text("2026-12-01 22:25:12.5+02"), "2026-12-01T20:25:12.500Z");
  EXPECT_EQ(rfc3339_from_text("2026-12-01 20:25:12"), "2026-12-01T20:25:12.000Z");
  EXPECT_THROW(rfc3339_from_text("not a time"), DecodeError);
  const Timestamp t = time_point_cast<microseconds>(sys_days{2026y / 11 / 22}) + hours{14} + minutes{5} +
                      seconds{9} + microseconds{42'999};
  EXPECT_EQ(format_rfc3339(t), "2026-11-22T14:05:09.042Z");
}

TEST(Timestamp, RoundTrips) {
  const Timestamp t = time_point_cast<microseconds>(system_clock::now());
  EXPECT_EQ(parse_timestamp(format_timestamp(t)), t);
}

TEST(Params, EncodeTextForms) {
  ParamList p(std::int64_t{-7}, true, std::string("x"), std::optional<int>{}, "lit", 2.5);
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(*p.values()[0], "-7");
  EXPECT_EQ(*p.values()[1], "t");
  EXPECT_EQ(*p.values()[2], "x");
  EXPECT_FALSE(p.values()[3].has_value());
  EXPECT_EQ(*p.values()[4], "lit");
  EXPECT_EQ(*p.values()[5], "2.5");
}

TEST(Fields, IntegerDecodingIsStrict) {
  EXPECT_EQ(FieldTraits<std::int64_t>::decode("9223372036854775807"), INT64_MAX);
  EXPECT_THROW(FieldTraits<std::int32_t>::decode("9223372036854775807"), DecodeError);
  EXPECT_THROW(FieldTraits<int>::decode("12abc"), DecodeError);
}

}  // namespace
}  // namespace tenantry::db

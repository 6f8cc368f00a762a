#include "common/pg/result.h"
#include "common/pg/sql_error.h"
#include "common/pg/statement.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::todo::testing::IsOkAndHolds;
using ::todo::testing::StatusIs;

TEST(TimestampTest, FormatsAndParsesUtcWithMicroseconds) {
  const absl::Time time = absl::FromUnixMicros(1'767'225'600'123'456);
  EXPECT_EQ(FormatTimestamp(time), "2026-01-01 00:00:00.123456+00");
  EXPECT_THAT(ParseTimestamp("2026-01-01 00:00:00.123456+00"), IsOkAndHolds(time));
  EXPECT_THAT(ParseTimestamp("2026-01-01 00:00:00+00"),
              IsOkAndHolds(absl::FromUnixSeconds(1'767'225'600)));
  EXPECT_THAT(ParseTimestamp("yesterday"), StatusIs(absl::StatusCode::kInternal));
}

TEST(ParamsTest, RendersTextArraysWithQuoting) {
  const Params params = Params().AddTextArray({"home", "a \"b\"", "c\\d", ""});
  EXPECT_THAT(params.values(),
              ElementsAre(Optional(std::string(R"({"home","a \"b\"","c\\d",""})"))));
}

TEST(ParamsTest, RendersScalarsAndNull) {
  const Params params = Params()
                            .Add(int64_t{-5})
                            .Add(true)
                            .Add("x")
                            .AddNull()
                            .AddOptional(std::optional<std::string>());
  ASSERT_EQ(params.values().size(), 5u);
  EXPECT_EQ(*params.values()[0], "-5");
  EXPECT_EQ(*params.values()[1], "t");
  EXPECT_EQ(*params.values()[2], "x");
  EXPECT_FALSE(params.values()[3].has_value());
  EXPECT_FALSE(params.values()[4].has_value());
}

TEST(SqlStateTest, MapsEachClassToItsCanonicalCode) {
  EXPECT_EQ(StatusCodeForSqlState("23505"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqlState("23503"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("23514"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlState("22P02"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlState("40001"), absl::StatusCode::kAborted);
  EXPECT_EQ(StatusCodeForSqlState("40P01"), absl::StatusCode::kAborted);
  EXPECT_EQ(StatusCodeForSqlState("57014"), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusCodeForSqlState("08006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("57P01"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("42P01"), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace todo::common::pg

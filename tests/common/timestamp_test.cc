#include "common/time/timestamp.h"

#include "gtest/gtest.h"

namespace todo::common::time {
namespace {

TEST(ToTimestampTest, KeepsNanosecondsInRange) {
  const auto after = ToTimestamp(absl::FromUnixSeconds(1'714'557'600) + absl::Milliseconds(120));
  EXPECT_EQ(after.seconds(), 1'714'557'600);
  EXPECT_EQ(after.nanos(), 120'000'000);
  // Before 1970 the seconds round down, so nanos stays non-negative.
  const auto before = ToTimestamp(absl::FromUnixSeconds(-1) + absl::Milliseconds(250));
  EXPECT_EQ(before.seconds(), -1);
  EXPECT_EQ(before.nanos(), 250'000'000);
}

}  // namespace
}  // namespace todo::common::time

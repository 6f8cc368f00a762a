#include "common/time/clock.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace todo::common::time {
namespace {

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1000));
  clock.Advance(absl::Minutes(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1300));
  clock.Set(absl::FromUnixSeconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5));
}

TEST(SystemClockTest, FollowsTheRealTime) {
  const absl::Time before = absl::Now();
  const absl::Time now = Clock::Real().Now();
  EXPECT_GE(now, before);
  EXPECT_LE(now - before, absl::Seconds(5));
}

}  // namespace
}  // namespace todo::common::time
